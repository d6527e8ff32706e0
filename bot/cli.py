"""The `physio-career` command line: ask, chat, topics, lint, eval, serve, run, report."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path

from bot.brain.knowledge import KnowledgeBase
from bot.brain.lint import DEFAULT_DIR, check_knowledge, load_knowledge
from bot.errors import ConfigError, KnowledgeError


def _settings(args, **kwargs):
    """Every setting from the environment (KNOWLEDGE_DIR, DATABASE_URL...); a bad one stops with its name."""
    from bot.config import Settings

    try:
        return Settings.from_env(os.environ, **kwargs)
    except ConfigError as exc:
        print(f"physio-career: {exc}", file=sys.stderr)
        raise SystemExit(2) from None


def _knowledge_dir(args) -> Path:
    return Path(args.knowledge or os.environ.get("KNOWLEDGE_DIR") or DEFAULT_DIR)


def _load(args) -> KnowledgeBase:
    try:
        return load_knowledge(_knowledge_dir(args))
    except KnowledgeError as exc:
        print(f"physio-career: cannot start: {exc}", file=sys.stderr)
        print("Run `physio-career lint` for the full report, fix the errors and try again.", file=sys.stderr)
        raise SystemExit(2) from None


def _answerer(args):
    from bot.brain.reply import Answerer

    return Answerer(_load(args))


def _nation(args):
    """--nation NAME, checked."""
    from bot.brain.nations import NATIONS, parse_nation

    if not getattr(args, "nation", None):
        return None
    nation = parse_nation(args.nation)
    if nation is None:
        print(f"physio-career: --nation must be one of {', '.join(NATIONS)}, got {args.nation!r}", file=sys.stderr)
        raise SystemExit(2)
    return nation


def _assistant(args, *, record: bool):
    from bot.conversation import Assistant

    recorder = _recorder(args) if record else None
    return Assistant(_answerer(args), recorder)


def reply_json(reply) -> dict:
    """The `ask --json` contract: outcome, entry, score, candidates, nation (or null), guard (or null)."""
    candidates = reply.match.candidates if reply.match is not None else ()
    return {
        "outcome": reply.outcome,
        "entry": reply.entry_id if reply.outcome == "answer" else None,
        "score": reply.score,
        "candidates": [{"entry": c.entry_id, "score": c.score} for c in candidates],
        "nation": reply.nation,
        "guard": reply.guard,
    }


# --- ask --------------------------------------------------------------------------------------------------
def cmd_ask(args) -> int:
    from bot.conversation import Member
    from bot.terminal import render_text

    nation = _nation(args)
    assistant = _assistant(args, record=not args.json)
    # with --follow-ups the lines are one conversation: "and band 4?" is read against the answer before it
    member = Member(nation=nation, conversation="cli" if args.follow_ups else None)
    questions = args.question
    stream: Iterator[str]
    if questions == ["-"]:
        stream = (line.rstrip("\n") for line in sys.stdin)
    else:
        stream = iter([" ".join(questions)])
    for question in stream:
        answered = assistant.ask(question, "cli", member)
        if args.json:
            print(json.dumps(reply_json(answered.reply)), flush=True)
        else:
            print(render_text(answered.reply), flush=True)
    return 0


def _recorder(args):
    """The curators' log, only when DATABASE_URL is set for the CLI (it is on by default for the channels)."""
    if not os.environ.get("DATABASE_URL"):
        return None
    settings = _settings(args)
    try:
        from bot.curators_log import open_recorder

        return open_recorder(settings)
    except Exception as exc:  # storage must never stop an answer
        print(f"physio-career: not recording questions: {type(exc).__name__}", file=sys.stderr)
        return None


# --- chat -------------------------------------------------------------------------------------------------
def cmd_chat(args) -> int:
    from bot.terminal import Chat

    assistant = _assistant(args, record=args.record)
    return Chat(assistant, nation=_nation(args)).run(input, sys.stdout)


# --- plan -------------------------------------------------------------------------------------------------
PLAN_FLAGS = ("band", "nation", "goal", "study", "quals")


def _plan_answers(args, *, fill: bool):
    """The planner's answers from --band, --nation, --goal, --study and --quals; `fill` makes the missing ones
    "not sure" (for --json, which asks nothing)."""
    from bot.brain.pathways import NOT_SURE
    from bot.conversation.planner import answers_for

    values = {key: getattr(args, key) for key in PLAN_FLAGS}
    if values["nation"] is not None and values["nation"] != NOT_SURE:
        values["nation"] = _nation(args)
    if fill:
        values = {key: value or NOT_SURE for key, value in values.items()}
    return answers_for(**values)


def plan_json(plan) -> dict:
    """The `plan --json` contract: the answers, the nation planned for, and each step's id, entry and title."""
    return {
        "answers": {key: plan.answers.get(key) for key in PLAN_FLAGS},
        "nation": plan.situation.nation,
        "nation_assumed": plan.nation_assumed,
        "title": plan.title,
        "steps": [
            {"step": s.id, "entry": s.entry_id, "title": s.title, "stage": s.stage, "link": s.link.url}
            for s in plan.steps
        ],
    }


def cmd_plan(args) -> int:
    from bot.conversation import Member
    from bot.conversation.planner import Planner
    from bot.terminal import PlanChat

    planner = Planner(_assistant(args, record=not args.json))
    if not planner.available:
        print(
            "physio-career plan: this knowledge base has no pathways.yaml, so there is nothing to plan with",
            file=sys.stderr,
        )
        return 2
    if args.json:
        print(json.dumps(plan_json(planner.plan(_plan_answers(args, fill=True))), indent=2))
        return 0
    answers = _plan_answers(args, fill=False)
    PlanChat(planner).run(input, sys.stdout, Member(conversation="cli"), answers)
    return 0


# --- explain ----------------------------------------------------------------------------------------------
def cmd_explain(args) -> int:
    from bot.brain.explain import explain

    result = explain(_answerer(args), " ".join(args.question))
    print(json.dumps(result.as_dict(), indent=2) if args.json else result.text())
    return 0


# --- topics -----------------------------------------------------------------------------------------------
def cmd_topics(args) -> int:
    kb = _load(args)
    for topic in kb.topics:
        print(f"{topic.title}  ({topic.file})")
        for eid in topic.entry_ids:
            entry = kb.by_id[eid]
            shortcuts = "  [" + ", ".join(entry.shortcuts) + "]" if entry.shortcuts else ""
            kind = f"  ({entry.kind})" if entry.kind != "answer" else ""
            print(f"  {eid:<30} {entry.question}{shortcuts}{kind}")
        print()
    return 0


# --- lint -------------------------------------------------------------------------------------------------
def cmd_lint(args) -> int:
    directory = Path(args.directory or _knowledge_dir(args))
    kb, problems = check_knowledge(directory)
    errors = [p for p in problems if p.level == "error"]
    warnings = [p for p in problems if p.level == "warning"]
    for p in errors + warnings:
        print(p, file=sys.stderr if p.level == "error" else sys.stdout)
    entries = len(kb.entries) if kb else 0
    summary = f"{directory}: {entries} entries, {len(errors)} error(s), {len(warnings)} warning(s)"
    print(summary if errors else f"{summary}: OK")
    return 1 if errors else 0


# --- eval -------------------------------------------------------------------------------------------------
def cmd_eval(args) -> int:
    from bot.brain.evaluation import evaluate, held_out, load_questions
    from bot.brain.reply import Answerer

    kb = _load(args)
    try:
        questions = load_questions(args.file, kb)
    except (OSError, ValueError) as exc:
        print(f"physio-career eval: {exc}", file=sys.stderr)
        return 2
    answerer = Answerer(held_out(kb, args.file, questions) if args.held_out else kb)
    from bot.conversation.followups import follow_up_answerer

    result = evaluate(answerer, questions, follow_up_answerer(answerer))
    print(result.report(show_misses=not args.quiet))
    failures = result.failures(args.min_accuracy, args.max_wrong, args.min_declined)
    for f in failures:
        print(f"FAIL: {f}", file=sys.stderr)
    return 1 if failures else 0


# --- serve / run ------------------------------------------------------------------------------------------
def cmd_serve(args) -> int:
    from bot.server import serve

    mode = "http" if args.http else "socket" if args.socket else None
    settings = _settings(args, mode=mode, port=args.port)
    if settings.mode == "cli":
        print(
            "physio-career: no channel is configured: set SLACK_BOT_TOKEN with SLACK_SIGNING_SECRET (or "
            "SLACK_APP_TOKEN), or the Teams variables; see README.md, 'Settings'",
            file=sys.stderr,
        )
        return 2
    return serve(settings, _load(args))


def cmd_run(args) -> int:
    settings = _settings(args)  # a half-configured channel stops here, naming the missing variable
    if settings.mode != "cli":
        args.http = args.socket = False
        args.port = None
        return cmd_serve(args)
    print(
        "No channel is configured (no SLACK_BOT_TOKEN and no Teams variables), so here is the terminal chat.\n"
        "To connect Slack or Teams, see README.md, 'Settings'.\n"
    )
    args.record = True
    args.nation = None
    return cmd_chat(args)


# --- report -----------------------------------------------------------------------------------------------
def cmd_report(args) -> int:
    from bot.curators_log import StorageError, open_store
    from bot.curators_log.report import build_report, render_report

    settings = _settings(args)
    try:
        store = open_store(settings)
        report = build_report(store, since=args.since)
    except (StorageError, ValueError) as exc:
        print(f"physio-career report: {exc}", file=sys.stderr)
        return 2
    print(render_report(report, args.format))
    return 0


# --- teams-package ----------------------------------------------------------------------------------------
def cmd_teams_package(args) -> int:
    # the package writer is pure (standard library and the knowledge base): it loads no Teams SDK
    from bot.teams.package import PackageError, write_package  # noqa: TID251

    options = {"version": args.version, "website_url": args.website_url}
    options.update(privacy_url=args.privacy_url, terms_url=args.terms_url)
    try:
        manifest = write_package(Path(args.out), args.app_id, _load(args), **options)
    except PackageError as exc:
        print(f"physio-career teams-package: {exc}", file=sys.stderr)
        return 2
    shortcuts = ", ".join(c["title"] for c in manifest["bots"][0]["commandLists"][0]["commands"])
    print(f"{args.out}: Teams app {manifest['id']} version {manifest['version']}; commands: {shortcuts}")
    if not (args.privacy_url and args.terms_url):
        print("Before publishing to your organisation, give the bot's own pages with --privacy-url and --terms-url.")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="physio-career",
        description="Career answers for UK physiotherapy support workers.",
    )
    parser.add_argument(
        "--knowledge",
        metavar="DIR",
        help=f"knowledge folder (default: $KNOWLEDGE_DIR, else {DEFAULT_DIR})",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("ask", help="answer one question (or one per line from stdin with '-')")
    p.add_argument("--json", action="store_true", help="print the match as one JSON object per question")
    p.add_argument(
        "--nation", metavar="NAME", help="answer for this UK nation (england, scotland, wales, northern-ireland)"
    )
    p.add_argument(
        "--follow-ups",
        action="store_true",
        help="read the questions as one conversation, so a follow-up such as 'and band 4?' follows the answer before",
    )
    p.add_argument("question", nargs="+", help="the question, or '-' to read one per line from standard input")
    p.set_defaults(func=cmd_ask)

    p = sub.add_parser("chat", help="chat in the terminal")
    p.add_argument("--record", action="store_true", help="record questions in the curators' log")
    p.add_argument(
        "--nation", metavar="NAME", help="answer for this UK nation (england, scotland, wales, northern-ireland)"
    )
    p.set_defaults(func=cmd_chat)

    p = sub.add_parser(
        "plan",
        help="the career pathway planner: asks up to five questions, then prints a plan (--json: from the flags)",
    )
    p.add_argument(
        "--json", action="store_true", help="print the plan's steps as JSON; unanswered flags count as not-sure"
    )
    p.add_argument("--band", choices=("2", "3", "4", "5", "not-sure"), help="the band now")
    p.add_argument("--nation", metavar="NAME", help="england, scotland, wales, northern-ireland or not-sure")
    p.add_argument("--goal", choices=("move-up", "band-5", "physiotherapist", "not-sure"), help="the goal")
    p.add_argument(
        "--study",
        choices=("alongside-work", "keep-income", "not-sure"),
        help="can study alongside work, or needs to keep their income",
    )
    p.add_argument(
        "--quals", choices=("yes", "no", "not-sure"), help="holds level 2 English and maths and a level 3 qualification"
    )
    p.set_defaults(func=cmd_plan)

    p = sub.add_parser("explain", help="show how the bot decided on a question: for curators")
    p.add_argument("--json", action="store_true", help="print it as JSON")
    p.add_argument("question", nargs="+", help="the question, as a member would type it")
    p.set_defaults(func=cmd_explain)

    p = sub.add_parser("topics", help="list the entries by topic, with their shortcuts")
    p.set_defaults(func=cmd_topics)

    p = sub.add_parser("lint", help="check the knowledge base; exit 1 on any error")
    p.add_argument("directory", nargs="?", help="knowledge folder to check (default: knowledge/)")
    p.set_defaults(func=cmd_lint)

    p = sub.add_parser("eval", help="run a labelled question set and print the rates and misses")
    p.add_argument("file", help="YAML file of {q, expect} items")
    p.add_argument("--min-accuracy", type=float, default=0.90, help="least share of in-scope answered right")
    p.add_argument("--max-wrong", type=float, default=0.03, help="most share of in-scope answered wrong")
    p.add_argument("--min-declined", type=float, default=0.90, help="least share of out-of-scope declined")
    p.add_argument("--quiet", action="store_true", help="do not list the misses")
    p.add_argument(
        "--held-out",
        action="store_true",
        help="leave the file's questions (and near copies of them) out of what the bot learns from first",
    )
    p.set_defaults(func=cmd_eval)

    p = sub.add_parser("serve", help="run the configured channels (Slack Socket Mode if SLACK_APP_TOKEN is set)")
    p.add_argument("--http", action="store_true", help="the web server: Slack over HTTP and/or Teams")
    p.add_argument("--socket", action="store_true", help="force Socket Mode")
    p.add_argument("--port", type=int, help="HTTP port (default $PORT or 3000)")
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser("run", help="the configured channels, otherwise the terminal chat (what `make run` does)")
    p.set_defaults(func=cmd_run)

    p = sub.add_parser("teams-package", help="write the Teams app package (manifest and icons) to upload to Teams")
    p.add_argument("--app-id", required=True, help="the bot's Entra app (client) id, the Azure Bot's Microsoft App ID")
    p.add_argument("--out", default="physio-career-teams.zip", help="the zip to write (default: %(default)s)")
    p.add_argument("--version", default="1.0.0", help="the app's version; raise it for each new upload")
    p.add_argument("--website-url", default="https://www.csp.org.uk/", help="the developer's website (https)")
    p.add_argument("--privacy-url", help="the bot's privacy page (https; default: the website)")
    p.add_argument("--terms-url", help="the bot's terms of use (https; default: the website)")
    p.set_defaults(func=cmd_teams_package)

    p = sub.add_parser("report", help="what members asked that the bot could not answer, and the feedback")
    p.add_argument("--since", default="30d", help="how far back: 7d, 30d, 12w or an ISO date (default 30d)")
    p.add_argument("--format", choices=("text", "csv", "json"), default="text")
    p.set_defaults(func=cmd_report)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    sys.exit(main())
