"""The `physio-career` command line: ask, chat, topics, lint, eval, serve, run, report."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from bot.brain.knowledge import DEFAULT_DIR, KnowledgeBase, check_knowledge, load_knowledge
from bot.errors import ConfigError, KnowledgeError


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


# --- ask --------------------------------------------------------------------------------------------------
def cmd_ask(args) -> int:
    from bot.terminal import render_text

    answerer = _answerer(args)
    recorder = _recorder(args)
    questions = args.question
    if questions == ["-"]:
        stream = (line.rstrip("\n") for line in sys.stdin)
    else:
        stream = iter([" ".join(questions)])
    for question in stream:
        if args.json:
            match = answerer.matcher.match(question)
            print(json.dumps(match.as_json()), flush=True)
        else:
            reply = answerer.reply(question)
            print(render_text(reply), flush=True)
            if recorder is not None:
                recorder.record_question("cli", question, reply)
    return 0


def _recorder(args):
    """The curators' log, only when DATABASE_URL is set for the CLI (it is on by default for Slack)."""
    if not os.environ.get("DATABASE_URL"):
        return None
    try:
        from bot.config import Settings
        from bot.curators_log import open_recorder

        return open_recorder(Settings.from_env(os.environ, require_slack=False))
    except Exception as exc:  # storage must never stop an answer
        print(f"physio-career: not recording questions: {exc}", file=sys.stderr)
        return None


# --- chat -------------------------------------------------------------------------------------------------
def cmd_chat(args) -> int:
    from bot.terminal import render_text

    answerer = _answerer(args)
    recorder = _recorder(args) if args.record else None
    out = sys.stdout
    print(
        f"physio-career: {len(answerer.kb)} answers loaded. Ask a career question, type 'help' for the topics, "
        "or 'quit' to leave.",
        file=out,
    )
    last = None
    last_ref = None
    while True:
        try:
            question = input("\nyou> ")
        except (EOFError, KeyboardInterrupt):
            print(file=out)
            return 0
        q = question.strip()
        if q.lower() in {"quit", "exit", "bye", ":q"}:
            return 0
        if last is not None and last.candidates and q.isdigit() and 1 <= int(q) <= len(last.candidates):
            choice = last.candidates[int(q) - 1]
            reply = answerer.entry_reply(answerer.kb.by_id[choice.entry_id])
            if recorder is not None:
                recorder.record_choice(last_ref, choice.entry_id, surface="chat")
        else:
            reply = answerer.reply(q)
            if recorder is not None:
                last_ref = recorder.record_question("chat", q, reply)
        print("\n" + render_text(reply), file=out, end="")
        last = reply


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
    from bot.brain.evaluation import evaluate, load_questions

    answerer = _answerer(args)
    try:
        questions = load_questions(args.file, answerer.kb)
    except (OSError, ValueError) as exc:
        print(f"physio-career eval: {exc}", file=sys.stderr)
        return 2
    result = evaluate(answerer.matcher, questions)
    print(result.report(show_misses=not args.quiet))
    failures = result.failures(args.min_accuracy, args.max_wrong, args.min_declined)
    for f in failures:
        print(f"FAIL: {f}", file=sys.stderr)
    return 1 if failures else 0


# --- serve / run ------------------------------------------------------------------------------------------
def cmd_serve(args) -> int:
    from bot.config import Settings
    from bot.server import serve

    try:
        mode = "http" if args.http else "socket" if args.socket else None
        settings = Settings.from_env(os.environ, mode=mode, port=args.port)
    except ConfigError as exc:
        print(f"physio-career: {exc}", file=sys.stderr)
        return 2
    return serve(settings, _load(args))


def cmd_run(args) -> int:
    from bot.config import slack_configured

    if slack_configured(os.environ):
        args.http = args.socket = False
        args.port = None
        return cmd_serve(args)
    print(
        "No Slack credentials found (SLACK_BOT_TOKEN with SLACK_APP_TOKEN or SLACK_SIGNING_SECRET), so here is "
        "the terminal chat.\nTo connect Slack, see README.md, 'Connect it to Slack'.\n"
    )
    args.record = True
    return cmd_chat(args)


# --- report -----------------------------------------------------------------------------------------------
def cmd_report(args) -> int:
    from bot.config import Settings
    from bot.curators_log import StorageError, open_store
    from bot.curators_log.report import build_report, render_report

    settings = Settings.from_env(os.environ, require_slack=False)
    try:
        store = open_store(settings)
        report = build_report(store, since=args.since)
    except (StorageError, ValueError) as exc:
        print(f"physio-career report: {exc}", file=sys.stderr)
        return 2
    print(render_report(report, args.format))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="physio-career",
        description="Career answers for UK physiotherapy support workers.",
    )
    parser.add_argument("--knowledge", metavar="DIR", help="knowledge folder (default: $KNOWLEDGE_DIR or knowledge/)")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("ask", help="answer one question (or one per line from stdin with '-')")
    p.add_argument("--json", action="store_true", help="print the match as one JSON object per question")
    p.add_argument("question", nargs="+", help="the question, or '-' to read one per line from standard input")
    p.set_defaults(func=cmd_ask)

    p = sub.add_parser("chat", help="chat in the terminal")
    p.add_argument("--record", action="store_true", help="record questions in the curators' log")
    p.set_defaults(func=cmd_chat)

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
    p.set_defaults(func=cmd_eval)

    p = sub.add_parser("serve", help="run the Slack app (Socket Mode if SLACK_APP_TOKEN is set, else HTTP)")
    p.add_argument("--http", action="store_true", help="force HTTP mode")
    p.add_argument("--socket", action="store_true", help="force Socket Mode")
    p.add_argument("--port", type=int, help="HTTP port (default $PORT or 3000)")
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser("run", help="Slack when configured, otherwise the terminal chat (what `make run` does)")
    p.set_defaults(func=cmd_run)

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
