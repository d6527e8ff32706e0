"""Personal details taken out before anything is stored: `redact(text)` for a question, `hash_user` for an id.

`redact` replaces each detail with a label, so a curator still sees the shape of the question ("my manager [name]
said I can't be re-banded, call me on [phone]") but not the detail. It works on plain text (each channel strips
its own markup first) and catches:

- email addresses, also spelled out ("jane dot doe at nhs dot net"), and @handles;
- UK phone numbers in any grouping (07700 900123, +44 (0)20 7946 0958, 0 7700 900 123, 7700 900123);
- NHS numbers, National Insurance numbers, card numbers (13 to 19 digits that pass the Luhn check), HCPC
  registration numbers (PH123456), staff, ESR and payroll numbers (7 or 8 digits, or with a letter in front), and
  any other run of 9 or more digits;
- dates of birth: a date next to "born", "DOB" or "date of birth", or a full date in a year before 2010;
- postcodes, and street addresses ("12 Acacia Avenue", "flat 3");
- names that something points at: a title ("Dr Amir Khan", "Mrs Jones"), a person's role ("my manager Sarah
  Jones", "my band 6 physio called Sam"), a verb of asking or telling ("ask Priya Patel", "Sarah Jones said"),
  "my name is", "I'm", "called", greetings and sign-offs ("hi Jo", "thanks, Tom"), and two capitalised words that
  read as a first name and a surname;
- Slack member ids (U012ABCDEF).

What it cannot catch: a bare first name with nothing around it that marks it as a name ("is sam right about band
4"), a name written all in lower case with no cue, a name that is also an ordinary word ("Will", "Hope"), a
place or street given without a number or a street word, and details described in words ("the one ending 123").

It errs on the side of removing too much: a stray match costs a curator a word, a missed one keeps a member's
details. Each rule finds spans; overlapping spans merge, so one detail gets one label.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import unicodedata
from collections.abc import Callable, Iterator

MAX_STORED_CHARS = 1000


# --- ids -------------------------------------------------------------------------------------------------------
def hash_user(key: str, user_id: str | None) -> str | None:
    """A channel's user id as HMAC-SHA256 keyed with `key`; None when there is no id or no key (nothing stored)."""
    if not user_id or not key:
        return None
    return hmac.new(key.encode(), user_id.encode(), hashlib.sha256).hexdigest()


def fingerprint(key: str, purpose: str, value: str) -> str:
    """A keyed fingerprint of `value` for one `purpose` ("conversation"), never equal to another purpose's."""
    return hmac.new(key.encode(), f"{purpose}\x00{value}".encode(), hashlib.sha256).hexdigest()


# --- words ---------------------------------------------------------------------------------------------------
# Words that are not names, for the rules that take "the word after a cue" as a name (my manager said, ask hr).
# General English, the words of work and careers, and this bot's own subject.
_COMMON = frozenset(
    """
    a about above after again against all almost also always am an and any anyone anything are around as at away
    back be because been before being below best better between both but by can cannot could did do does doing done
    down during each either else enough even ever every everyone everything few first for from further get gets
    getting give given go goes going gone got had has have having he her here hers herself him himself his how i if
    in into is it its itself just last least less let like likely little lot lots many may maybe me might mine more
    most much must my myself near need needs never new next no nobody none nor not nothing now of off often ok okay
    on once one only onto or other others our ours out over own please quite rather really same says said say see
    seems she should since so some someone something sometimes soon still such sure than thank thanks that the their
    theirs them then there these they thing things think this those though through to today told tomorrow too
    towards under until up upon us very via want wants was way we well were what whatever when where whether which
    while who whom whose why will with within without would yes yet you your yours yourself yesterday
    able accept accepted advice advise advised agree agreed allow allowed already answer answered apply applied
    applying approve approved argue asked asks assume been believe booked call called came change changed check
    checked come comes coming confirm confirmed contact contacted decide decided deny denied discuss discussed
    email emailed expect explain explained feel feels find found forward forwarded gave help helped hope hoping
    insist insisted keep keeps kept know knows knew leave left let lets look looked looking make makes made mean
    means meant mention mentioned move moved offer offered phone phoned put refuse refused reckon reckons recommend
    recommended refer referred rejected reply replied ring rang said sent show showed sign signed speak spoke start
    started started stop stopped suggest suggested suppose take takes talk talked tell tells thinks thought tried
    try trying understand wanted went work worked works write wrote
    about again anyway basically actually also apparently definitely honestly just literally probably really still
    already currently recently usually always never sometimes often mostly here there everywhere
    job jobs role roles post posts work career careers pay paid salary wage wages band bands level levels grade
    step steps point points year years month months week weeks day days hour hours time times shift shifts rota
    contract contracts interview interviews application applications form forms letter letters meeting appraisal
    review training course courses degree degrees apprenticeship apprenticeships apprentice apprentices
    qualification qualifications certificate diploma module modules placement placements portfolio assessment
    exam exams university uni college school student students study funding bursary loan fees fee cost costs
    team teams ward wards department service services trust trusts board boards hospital hospitals clinic clinics
    community practice site sites office unit units area areas region nhs hr csp hcpc unison rcn gmb unite union
    afc esr jd jds kpi cpd nvq btec gcse msc bsc ap aps ti tis hca hcas hcsw hcsws rsw rsws osw pt ot ots slt
    physio physios physiotherapy physiotherapist physiotherapists therapy therapist therapists therapies assistant
    assistants practitioner practitioners technician instructor instructors worker workers support staff
    manager managers management supervisor supervisors supervision lead leads leader leadership colleague
    colleagues mentor mentors tutor tutors assessor assessors educator educators matron matrons nurse nurses
    sister consultant consultants doctor doctors gp rep reps steward stewards coordinator director head heads
    trainer buddy preceptor preceptee friend friends husband wife partner mum dad son daughter brother kids family
    boss bosses everybody anybody somebody people person patient patients client clients public member members
    new old current previous former acting interim deputy senior junior clinical msk neuro respiratory ortho
    outpatient outpatients inpatient inpatients rehab rehabilitation acute private bank agency locum
    full part time permanent temporary fixed term secondment promotion regrade regrading rebanding banding
    england scotland wales ireland northern uk british welsh scottish english irish london
    monday tuesday wednesday thursday friday saturday sunday january february march april may june july august
    september october november december jan feb mar apr jun jul aug sep sept oct nov dec
    yes no not maybe hi hello hey dear thanks cheers regards morning afternoon evening team all everyone guys
    folks again soon
    tax relief card cards scheme schemes pension pensions finance fund funds funding grant grants allowance
    expenses mileage travel parking uniform holiday holidays leave sickness sick maternity paternity adoption
    carer carers overtime plan plans policy policies light blue red green black white gold silver high low higher
    lower top bottom big small long short good bad great free open closed early late full half extra basic
    minimum maximum average total annual monthly weekly daily hourly yearly national local public private
    personal professional development progression evaluation education learning teaching research audit
    quality safety risk record records report reports letter notes note number numbers list lists rate rates
    scale scales table tables chart guide guides book books website page pages link links app portal system
    systems account accounts login password email phone mobile address post office building room floor
    car bus train home house flat city town village country world life health care social mental physical
    occupational speech language sports sport exercise fitness medicine medical nursing midwifery pharmacy
    dental dietetics podiatry radiography paramedic science sciences arts business law maths english
    """.split()
)
# Capitalised words that name organisations, places, documents and roles rather than people.
_NOT_NAMES = _COMMON | frozenset(
    """
    agenda change health education skills royal free guy guys thomas thomas' st saint general infirmary university
    college hospital hospitals trust foundation council care social society chartered physiotherapy network
    associates associate institute centre center service services group board integrated primary secondary
    national local regional north south east west central greater city county borough district
    lothian glasgow clyde tayside grampian highland fife lanarkshire ayrshire arran borders dumfries galloway forth
    valley orkney shetland western isles betsi cadwaladr cwm taf morgannwg aneurin bevan hywel dda swansea bay
    powys cardiff vale belfast southern northern south-eastern western hsc manchester leeds birmingham bristol
    liverpool newcastle sheffield nottingham leicester oxford cambridge kent surrey essex yorkshire lancashire
    midlands devon cornwall cumbria sussex hampshire norfolk suffolk wessex mersey thames
    job description descriptions toolkit handbook annex section terms conditions framework frameworks standard
    standards policy guidance code conduct pathway pathways profile profiles evaluation
    assistant practitioner technical instructor therapy rehab rehabilitation support worker physiotherapist
    physio band level apprenticeship degree msc bsc fdsc ba ma phd open teams zoom slack outlook microsoft google
    linkedin facebook whatsapp indeed gov employers england scotland wales ireland
    i im i'm ive i've id i'd ill i'll
    dr mr mrs ms miss mx prof professor sir dame
    """.split()
)

# A name: a capitalised word (Sarah, O'Neill, McDonald, Smith-Jones) ...
_CAP = r"(?:[A-Z](?:[a-z]+|['’][A-Z][a-z]+)(?:[A-Z][a-z]+)?(?:-[A-Z][a-z]+)?)"
# ... or, after a strong cue, any word of letters (members often type names in lower case).
_WORD = r"(?:[A-Za-z](?:[a-z]+|['’][A-Za-z][a-z]+)(?:-[A-Za-z][a-z]+)?)"


def _is_name(word: str) -> bool:
    w = word.lower().replace("’", "'")
    return w not in _NOT_NAMES and w.removesuffix("'s") not in _NOT_NAMES and len(w) > 1


# --- rules -------------------------------------------------------------------------------------------------------
Span = tuple[int, int, str]
Finder = Callable[[str], Iterator[Span]]
_RULES: list[Finder] = []


def _rule(finder: Finder) -> Finder:
    _RULES.append(finder)
    return finder


def _spans(pattern: re.Pattern[str], label: str, group: int | str = 0) -> Finder:
    def find(text: str) -> Iterator[Span]:
        for m in pattern.finditer(text):
            if m.group(group):
                yield m.start(group), m.end(group), label

    return find


_DOT = r"(?:\s*\.\s*|\s*[\[({<]\s*dot\s*[\])}>]\s*|\s+(?:dot|underscore|dash|hyphen)\s+)"
_AT = r"(?:\s*@\s*|\s*[\[({<]\s*at\s*[\])}>]\s*|\s+at\s+)"
# Personal and NHS mail: "jo at gmail.com" is an address even without a sign that the first word is one.
_MAIL_DOMAINS = ("gmail", "googlemail", "hotmail", "yahoo", "outlook", "live", "icloud", "aol", "btinternet", "msn")
_EMAIL = re.compile(r"[\w.+'%-]+@[\w-]+(?:\.[\w-]+)+")
# Spelled out: "jane dot doe at nhs dot net", "jo(at)nhs(dot)net". The domain must use "dot" (or end in a known
# ending), so "look at nhs.uk" is not an address.
_SPELLED_EMAIL = re.compile(
    rf"(?i)\b[a-z0-9_'+-]+(?:{_DOT}[a-z0-9_'+-]+)*{_AT}[a-z0-9-]+(?:{_DOT}[a-z0-9-]+)*"
    rf"(?:{_DOT}(?:net|com|org|uk|scot|wales|nhs|gov|ac|co|ie|io|me|info))\b"
)


@_rule
def _emails(text: str) -> Iterator[Span]:
    yield from _spans(_EMAIL, "[email]")(text)
    for m in _SPELLED_EMAIL.finditer(text):
        spelled = m.group(0).lower()
        local, _, domain = re.split(rf"({_AT})", spelled, maxsplit=1)
        if (
            re.search(r"\bdot\b|[\[({<]\s*at\s*[\])}>]", spelled)
            or re.search(r"[._+\d]", local)
            or domain.strip().startswith(_MAIL_DOMAINS)
            or re.match(r"nhs\s*\.\s*(?:net|scot)", domain.strip())
        ):
            yield m.start(), m.end(), "[email]"


_rule(_spans(re.compile(r"<@[UW][A-Z0-9]+(?:\|[^>]*)?>"), "[person]"))
# A Slack member id in plain text: U or W and 8 to 11 capitals and digits, at least one a digit.
_rule(_spans(re.compile(r"\b[UW](?=[A-Z0-9]*\d)[A-Z0-9]{8,11}\b"), "[person]"))
_rule(_spans(re.compile(r"(?<![\w@.])@[A-Za-z0-9_][\w.-]*[A-Za-z0-9_]"), "[person]"))


# Runs of digits with single spaces, dots, hyphens or brackets between them: what a phone, card, NHS or NI
# number is made of, however it is grouped.
_DIGIT_RUN = re.compile(r"(?<![\w+£$€.,/:])(?:\+|00)?(?:\(?\d[\d ().-]*\d\)?|\d)(?![\w%£]|[.,:/]\d)")


def _luhn(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def _gaps_ok(run: str) -> bool:
    """Separators are single characters (or a bracketed area code): '2024 2025' joins; '1 in 4' does not matter."""
    return not re.search(r"[ .-]{2,}(?<!\) )", run.replace(") ", ")").replace(" (", "("))


@_rule
def _numbers(text: str) -> Iterator[Span]:
    for m in _DIGIT_RUN.finditer(text):
        run = m.group(0).rstrip(").- ")
        start = m.start()
        digits = re.sub(r"\D", "", run)
        n = len(digits)
        grouped = run != digits
        if re.match(r"(?:\+|00)44", run):
            national = digits[2:] if run.startswith("+") else digits[4:]
            if 9 <= len(national.removeprefix("0")) <= 10:
                yield start, start + len(run), "[phone]"
                continue
        elif run.startswith(("0", "(0")) and n in (10, 11):
            yield start, start + len(run), "[phone]"
            continue
        if n == 10 and run.startswith("7") and grouped and re.fullmatch(r"7\d{3}[ .-]?\d{3}[ .-]?\d{3}", run):
            yield start, start + len(run), "[phone]"  # a mobile number without its 0
            continue
        if 13 <= n <= 19 and _luhn(digits):
            yield start, start + len(run), "[card]"
            continue
        if n == 10 and re.fullmatch(r"\d{3}[ -]?\d{3}[ -]?\d{4}", run):
            yield start, start + len(run), "[NHS number]"
            continue
        if n >= 9 and not grouped:
            yield start, start + len(run), "[number]"
            continue
        if n >= 9 and _gaps_ok(run) and not re.search(r"\b(?:19|20)\d\d\b.*\b(?:19|20)\d\d\b", run):
            yield start, start + len(run), "[number]"


# A staff, ESR, payroll or assignment number: 7 or 8 digits, maybe with a suffix (12345678-2) or a letter in front.
_rule(
    _spans(
        re.compile(r"(?<![\w£$€.,/:-])(?:[A-Za-z]{1,3}-?)?\d{7,8}(?:-\d{1,2})?(?![\w%]|[.,:/]\d)"),
        "[number]",
    )
)
# A letter code and 5 or 6 digits: HCPC registrations (PH123456, OT12345, "PH 123456") and the like.
_rule(_spans(re.compile(r"\b(?:[A-Za-z]{2,3}-?\d{5,6}|(?i:ph|ot|sl|odp|pyl|pa|ra|dt|ch|cs)\s\d{5,6})\b"), "[number]"))
# "staff number 12345", "employee no: E12345", "ESR 1234567", "CSP membership number 123456": any code with 4 or
# more digits after such a cue (but not a year: "the CSP 2026 rates").
_ID_CUE = re.compile(
    r"(?i)\b(?:(?:staff|employee|payroll|personnel|esr|assignment|badge|hcpc)\s*(?:number|no\.?|num|#|id|ref)?|"
    r"(?:csp|membership|member|registration|reg|pin|id)\s*(?:number|no\.?|num|#|id|ref))\s*(?:is|:|=|-)?\s*"
    r"(?P<code>[A-Za-z]{0,3}\d[\d -]{2,}\d(?:[A-Za-z])?)\b"
)


@_rule
def _cued_ids(text: str) -> Iterator[Span]:
    for start, end, label in _spans(_ID_CUE, "[number]", "code")(text):
        if not re.fullmatch(r"(?:19|20)\d\d", text[start:end]):
            yield start, end, label


# National Insurance numbers: two letters, six digits, a letter A to D, in any spacing and case.
_rule(_spans(re.compile(r"(?i)\b[A-Z]{2}[ -]?\d{2}[ -]?\d{2}[ -]?\d{2}[ -]?[A-D]\b"), "[NI number]"))

# UK postcodes in any case, with or without the space: SW1A 1AA, m1 1ae, B338TH, GIR 0AA.
_rule(
    _spans(
        re.compile(r"(?i)\b(?:[A-PR-UWYZ][A-HK-Y]?\d[A-HJKPSTUW\d]?|GIR)\s?\d[ABD-HJLNP-UW-Z]{2}\b"),
        "[postcode]",
    )
)

_MONTH = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sept?(?:ember)?|"
    r"oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)"
)
_DATE = (
    rf"(?:\d{{1,2}}[/.-]\d{{1,2}}[/.-]\d{{2,4}}|\d{{4}}-\d{{2}}-\d{{2}}|"
    rf"\d{{1,2}}(?:st|nd|rd|th)?\s+(?:of\s+)?{_MONTH}\.?,?\s+\d{{2,4}}|{_MONTH}\.?\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+\d{{2,4}})"
)
_BORN_CUE = r"(?:born(?:\s+(?:on|in))?|d\.?o\.?b\.?|date\s+of\s+birth|birthday(?:\s+is)?|bday)"
_rule(
    _spans(
        re.compile(rf"(?i)\b{_BORN_CUE}\s*(?:is|was|:|-)?\s*(?P<date>{_DATE}|\d{{1,2}}[/.-]\d{{1,2}}|(?:19|20)\d\d)\b"),
        "[date]",
        "date",
    )
)
# A full date in a year no member would be applying for a job in: most likely a birth date.
_rule(
    _spans(
        re.compile(
            rf"(?i)\b(?:\d{{1,2}}[/.-]\d{{1,2}}[/.-](?:19\d\d|200\d)|(?:19\d\d|200\d)-\d{{2}}-\d{{2}}|"
            rf"\d{{1,2}}(?:st|nd|rd|th)?\s+(?:of\s+)?{_MONTH}\.?,?\s+(?:19\d\d|200\d)|"
            rf"{_MONTH}\.?\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+(?:19\d\d|200\d))\b"
        ),
        "[date]",
    )
)

_STREET = (
    r"(?:street|st|road|rd|avenue|ave|lane|ln|close|drive|dr|way|crescent|cres|court|ct|place|pl|terrace|grove|"
    r"gardens|gdns|park|hill|square|sq|mews|row|walk|parade|rise|view|green|vale|boulevard|wharf|gate|wynd|brae)"
)
# "12 Acacia Avenue", "flat 3, 45 High St", "14b Mill Lane": a house number, up to three words, a street word.
_rule(
    _spans(
        re.compile(
            rf"(?i)(?<![\w/.,£$-])(?:(?:flat|apartment|apt|unit)\s+\d+[a-z]?,?\s+)?\d{{1,4}}[a-z]?,?\s+"
            rf"(?:(?!(?:band|level|year|years|hour|hours|day|days|week|weeks|month|months|of|in|a|the|to|or|and|"
            rf"per|step|points?|minute|minutes|mins?)\b)[a-z][\w'’-]*\s+){{1,3}}{_STREET}\b\.?"
        ),
        "[address]",
    )
)
_rule(_spans(re.compile(r"(?i)\b(?:flat|apartment|apt)\s+\d+[a-z]?\b"), "[address]"))
# "my address is 3 The Paddocks, Little Hadham.": everything after the cue, to the end of the sentence.
_rule(
    _spans(
        re.compile(r"(?i)\b(?:my|home|postal|our)\s+address\s*(?:is|:|-)\s*(?P<address>[^.?!\n]{3,80}?)(?=[.?!\n]|$)"),
        "[address]",
        "address",
    )
)
# "I live on Acacia Avenue", "my address is ...": the street after the cue, even without a number.
_rule(
    _spans(
        re.compile(
            rf"(?i)\b(?:live|living|lives|address\s+is|moved\s+to)\s+(?:at|on|in)?\s*"
            rf"(?P<street>(?:\d{{1,4}}[a-z]?\s+)?(?:[A-Za-z][\w'’-]*\s+){{1,3}}{_STREET})\b"
        ),
        "[address]",
        "street",
    )
)


# Endings of English words that are rarely names ("Personal", "Flexible", "Working", "Progression").
_WORD_ENDINGS = (
    "al",
    "ing",
    "ion",
    "ment",
    "ity",
    "ive",
    "ous",
    "ship",
    "ness",
    "ance",
    "ence",
    "ary",
    "ory",
    "ic",
    "ful",
    "less",
    "able",
    "ible",
    "ism",
    "ise",
    "ize",
    "ure",
    "ed",
)

# --- names -------------------------------------------------------------------------------------------------------
# After a lower-case word that follows a cue, what makes it read as a name: "my manager sarah said", "my manager
# lucy hughes says" (a surname), "my manager jo, ..." (punctuation), and not "a matron higher than".
_AFTER_NAME = re.compile(
    r"\s*(?:[,.;:!?)]|$)|\s+(?:said|says|told|tells|thinks|thought|reckons|mentioned|wants|wanted|asked|asks|"
    r"suggested|recommended|explained|emailed|messaged|rang|is|was|has|had|will|would|can|could|does|did|doesnt|"
    r"doesn't|didnt|didn't|wont|won't|keeps|kept|just|also|and|who|refused|refuses|won't|signed|signs|approved|"
    r"agreed|insists|insisted|left|leaves|gave|gives)\b"
)


def _name_spans(pattern: re.Pattern[str], *, lower: str) -> Finder:
    """The `name` group of each match, when it is not an ordinary word, and the next one or two words when they
    are names too. A name typed in lower case counts when `lower` is "cue" and a surname, a verb or punctuation
    follows it ("my manager sarah said"), or when `lower` is "surname" and a surname follows ("i'm dafydd
    llewellyn"); never when `lower` is "no"."""

    def find(text: str) -> Iterator[Span]:
        for m in pattern.finditer(text):
            first = m.group("name")
            if not _is_name(first):
                continue
            start, end = m.start("name"), m.end("name")
            words: list[str] = []
            while len(words) < 2:
                more = re.match(rf"\s+({_CAP if first[0].isupper() else _WORD})\b", text[end:])
                if not more or not _is_name(more.group(1)):
                    break
                end += more.end(1)
                words.append(more.group(1))
            if first[0].islower():
                if lower == "no":
                    continue
                if lower == "cue" and not words and not _AFTER_NAME.match(text[end:]):
                    continue
                if lower == "surname" and (
                    not words or any(w.lower().endswith((*_WORD_ENDINGS, "ly")) for w in (first, words[0]))
                ):
                    continue
            yield start, end, "[name]"

    return find


_TITLE = r"(?:Dr|dr|Mr|mr|Mrs|mrs|Ms|ms|Miss|Mx|Prof|prof|Professor|professor|Sir|Dame)"
_rule(_name_spans(re.compile(rf"\b{_TITLE}\.?\s+(?P<name>{_WORD})"), lower="cue"))

_ROLE = (
    r"(?:manager|supervisor|boss|lead|colleague|mentor|tutor|assessor|educator|physio|physiotherapist|ot|therapist|"
    r"matron|sister|nurse|consultant|rep|steward|friend|husband|wife|partner|mum|mam|dad|son|daughter|brother|"
    r"cousin|aunt|uncle|gp|doctor|hca|coordinator|co-ordinator|director|head|trainer|buddy|preceptor|student|"
    r"apprentice|assistant|practitioner|instructor|senior|deputy|clinician|lecturer|teacher|officer|advisor|"
    r"adviser|recruiter|interviewer)"
)
# "my manager Sarah Jones", "our band 6 physio, Sam", "the hr lady called Jo", "mentor Iwona ...".
_rule(
    _name_spans(
        re.compile(
            rf"\b(?i:(?:my|our|the|a|her|his|their|your)\s+(?:[\w-]+\s+){{0,2}}{_ROLE}s?\s*,?\s+\(?"
            rf"(?:is\s+|was\s+|called\s+|named\s+|-\s+)?)(?P<name>{_WORD})"
        ),
        lower="cue",
    )
)
# Strong cues: what follows is a name however it is typed.
_rule(
    _name_spans(
        re.compile(
            rf"\b(?i:called|named|my\s+name\s+is|my\s+name's|name\s+is|i\s+am\s+called|names|name:)\s+"
            rf"(?P<name>{_WORD})"
        ),
        lower="cue",
    )
)
# Weaker cues: only a capitalised word is taken as a name ("I'm Sarah", "thanks, Tom", "ask Priya Patel").
_rule(
    _name_spans(
        re.compile(
            rf"\b(?i:this\s+is|it's|signed|love|regards|thanks|thank\s+you|cheers|ta|best|"
            rf"hi|hello|hey|dear|morning|ask|asked|asking|ask\s+for|speak\s+to|spoke\s+to|speaking\s+to|"
            rf"talk\s+to|talked\s+to|talking\s+to|contact|contacted|email|emailed|message|messaged|ring|rang|"
            rf"phone|phoned|tell|told|cc|cc'd|copy\s+in|reporting\s+to|report\s+to|according\s+to|"
            rf"interviewed\s+by|supervised\s+by|managed\s+by|meeting\s+with|met\s+with)\s*,?\s+(?P<name>{_CAP})"
        ),
        lower="no",
    )
)
# "I'm Sarah", "i'm dafydd llewellyn": a capitalised word, or a first name and a surname in lower case.
_rule(_name_spans(re.compile(rf"\b(?i:i\s+am|i'm|i’m|im)\s*,?\s+(?P<name>{_WORD})"), lower="surname"))
# "Sarah said", "Sarah Jones told me", "Priya's the one": a capitalised word before a verb of telling.
_rule(
    _name_spans(
        re.compile(
            rf"(?P<name>{_CAP})(?=(?:\s+{_CAP})?(?:['’]s)?\s+(?i:said|says|told|tells|thinks|reckons|mentioned|"
            rf"wants|asked|suggested|recommended|explained|emailed|messaged|rang|is\s+my|was\s+my|from\s+hr)\b)"
        ),
        lower="no",
    )
)


_STREET_WORD = re.compile(rf"(?i){_STREET}")
_CAPITALISED = re.compile(r"[A-Z][A-Za-z'’-]*")


@_rule
def _full_names(text: str) -> Iterator[Span]:
    """Two capitalised words that read as a first name and a surname ("Priya Patel"): neither is an ordinary word
    or the name of a place or body, the first does not end like an English word, and they are not part of a longer
    run of capitalised words ("Personal Development Plan", "NHS Pension Scheme", "Great Ormond Street")."""
    for m in re.finditer(rf"\b(?P<first>{_CAP})\s+(?P<last>{_CAP})\b", text):
        first, last = m.group("first"), m.group("last")
        if not (_is_name(first) and _is_name(last)) or _STREET_WORD.fullmatch(last):
            continue
        if len(first) > 4 and first.lower().endswith(_WORD_ENDINGS):
            continue
        before = text[: m.start()].split()[-1:] or [""]
        after = text[m.end() :].split()[:1] or [""]
        if any(_CAPITALISED.match(w) and w not in ("I", "I'm", "I’m") for w in (before[0], after[0])):
            continue
        yield m.start(), m.end(), "[name]"


# --- putting it together ---------------------------------------------------------------------------------------
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_SURROGATE = re.compile(r"[\ud800-\udfff]")  # half of a pair: cannot be encoded, so a batch holding it would fail


def clean_text(text: str, limit: int) -> str:
    """Text a database can store: Unicode NFC, no control characters or lone surrogates, at most `limit` chars."""
    text = _SURROGATE.sub("\ufffd", text[: limit * 2])
    return _CONTROL.sub(" ", unicodedata.normalize("NFC", text))[:limit]


_FOLD = {"ł": "l", "Ł": "L", "ø": "o", "Ø": "O", "đ": "d", "Đ": "D", "ß": "s", "æ": "a", "Æ": "A", "œ": "o"}


def _ascii_letters(text: str) -> str:
    """The same text, letter for letter, with accents taken off (Wiśniewska -> Wisniewska, Ní -> Ni), so that the
    rules' [A-Za-z] match names from every language. The length never changes, so spans fit the original."""
    if text.isascii():
        return text
    out = []
    for ch in text:
        if ch.isascii():
            out.append(ch)
            continue
        base = _FOLD.get(ch) or unicodedata.normalize("NFKD", ch)[:1]
        out.append(base if base.isascii() and base.isalpha() else ch)
    return "".join(out)


def find_details(text: str) -> list[Span]:
    """Where the personal details are: (start, end, label), sorted and not overlapping."""
    shadow = _ascii_letters(text)
    spans = sorted((s for find in _RULES for s in find(shadow)), key=lambda s: (s[0], -s[1]))
    merged: list[Span] = []
    for start, end, label in spans:
        if merged and start < merged[-1][1]:
            last = merged[-1]
            merged[-1] = (last[0], max(last[1], end), last[2])
        else:
            merged.append((start, end, label))
    return merged


def redact(text: str) -> str:
    """The text with personal details replaced by labels, cut to a length worth storing."""
    text = clean_text(text, MAX_STORED_CHARS * 2)
    out, at = [], 0
    for start, end, label in find_details(text):
        out += [text[at:start], label]
        at = end
    out.append(text[at:])
    return "".join(out)[:MAX_STORED_CHARS].strip()
