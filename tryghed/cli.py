"""The ``tryghed`` command: run, validate, list, demo-data, fetch.

Only what a subcommand needs is imported, so ``tryghed run`` with nothing changed answers in well under a second.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import threading
from pathlib import Path

from . import __version__, paths
from .errors import ConfigError, TryghedError

log = logging.getLogger(__name__)

#: Report languages (``config.LANGS``; not imported here so the command starts fast).
LANGS = ("da", "en")
DEMO_SEED_HELP = "random seed of the generator (default: the seed the tests and README use)"


def parse_years(text: str) -> list[int]:
    """``2010-2017``, ``2014,2016`` or a mix (``2010-2012,2017``) -> the years, sorted, each once."""
    years: set[int] = set()
    for part in text.replace(" ", "").split(","):
        if not part:
            continue
        lo, sep, hi = part.partition("-")
        try:
            first, last = int(lo), int(hi) if sep else int(lo)
        except ValueError:
            raise ConfigError(f"--years {text!r}: {part!r} is not a year or a range; write e.g. 2010-2017 or "
                              "2014,2016.") from None
        if last < first:
            raise ConfigError(f"--years {text!r}: the range {part} runs backwards; write {last}-{first}.")
        years.update(range(first, last + 1))
    if not years:
        raise ConfigError(f"--years {text!r} names no year; write e.g. 2010-2017.")
    return sorted(years)


def _tasks(args) -> list:
    from .run import Task

    if args.all and args.pipeline:
        raise ConfigError("give a pipeline or --all, not both.")
    if not args.all and not args.pipeline:
        raise ConfigError("name a pipeline (see `tryghed list`) or give --all.")
    if args.year and args.years:
        raise ConfigError("give --year or --years, not both.")
    names = sorted(p.stem for p in paths.PIPELINES.glob("*.yml")) if args.all else [args.pipeline]
    years = parse_years(args.years) if args.years else [args.year]
    out = str(Path(args.out).resolve() if args.out else paths.ROOT)
    raw = str(Path(args.raw).resolve()) if args.raw else None
    return [Task(name, year, raw, args.lang, out, args.force) for name in names for year in years]


def _cmd_run(args) -> int:
    from .run import run_pipeline, run_sweep

    tasks = _tasks(args)
    if len(tasks) == 1 and not args.executor:
        t = tasks[0]
        index = run_pipeline(t.pipeline, t.year, raw_dir=t.raw_dir, lang=t.lang, out_root=Path(t.out_root),
                             progress=not args.quiet, environ=os.environ, force=t.force, period=args.period)
        print(index)
        return 0

    if args.period:
        raise ConfigError("--period applies to one run (one pipeline, one year); run the years one at a time")

    def done(n, total, r):
        if args.quiet:
            return
        what = r.index if r.index else f"failed: {r.error.splitlines()[0]}"
        print(f"[{n}/{total}] {r.task.label()} ({r.seconds:.1f} s) {what}", file=sys.stderr, flush=True)

    results = run_sweep(tasks, executor=args.executor, workers=args.workers, on_done=done)
    failed = [r for r in results if r.error]
    for r in failed:
        print(f"tryghed: error: {r.task.label()}: {r.error}", file=sys.stderr)
    for r in results:
        if r.index:
            print(r.index)
    return max((r.code for r in failed), default=0)


def _cmd_validate(args) -> int:
    from . import config, sources
    from .run import resolve_raw, validate

    pipeline = config.load_pipeline(args.pipeline)
    raw = resolve_raw(pipeline, args.raw)
    cov = validate(pipeline, raw, args.year, os.environ)
    print(f"{pipeline.path.name}: configuration valid ({len(pipeline.indicators)} indicators, "
          f"{len(pipeline.areas)} areas)")
    for c in cov:
        print(f"  {c.source:<15} {pipeline.sources[c.source].file}: {c.first}–{c.last}")
    for sid in sources.missing_optional(pipeline, raw):
        print(f"  {sid:<15} {pipeline.sources[sid].file}: not in the raw folder (optional: its measures are "
              "reported as missing)")
    print(f"inputs in {raw} are valid" + (f" for {args.year}" if args.year else ""))
    return 0


def _cmd_list(args) -> int:
    from . import config
    from .run import coverage

    for name in config.available():
        pipeline = config.load_pipeline(name)
        raw = Path(args.raw) if args.raw else pipeline.demo_raw
        if raw.is_dir():
            try:
                cov = coverage(pipeline, raw)
                first, last = (max(c.first for c in cov), min(c.last for c in cov)) if cov else (None, None)
                years = f"{first}–{last}" if cov and first <= last else \
                    (f"{min(c.first for c in cov)}–{max(c.last for c in cov)} (not every source every year)" if cov
                     else "no dated source")
            except TryghedError as exc:
                years = f"inputs not readable ({exc})"
        else:
            years = f"no data in {raw}"
        tag = " (demo data)" if paths.source_name(raw) == "demo" and raw.is_dir() else ""
        print(f"{name:<12} {pipeline.name['en']:<32} years {years}{tag}")
    return 0


def _cmd_demo(args) -> int:
    from . import demo

    out = Path(args.out) if args.out else paths.DEMO_RAW
    for p in demo.write_demo(out, seed=demo.SEED if args.seed is None else args.seed):
        print(p)
    return 0


def _cmd_fetch(args) -> int:
    import datetime

    from .fetch import fetch_dst, parse_variables

    out = Path(args.out) if args.out else paths.DATA_RAW / "dst"
    result = fetch_dst(args.table, parse_variables(args.variables), lang=args.lang, out_dir=out,
                       log_path=paths.DATA_RAW / "README.md", today=datetime.date.today())
    print(result.path)
    return 0


def _cmd_new(args) -> int:
    from .scaffold import scaffold

    out = scaffold(args.name, args.from_file, area=args.area, period=args.period, indicator=args.indicator,
                   count=args.count, population=args.population, value=args.value, n=args.n, sheet=args.sheet,
                   assumed_n=args.assumed_n, report_by=args.report_by, owner=args.owner,
                   out_dir=Path(args.out) if args.out else paths.PIPELINES, force=args.force)
    print(out)
    return 0


def _cmd_new_register(args) -> int:
    from .efforts import write_template

    print(write_template(Path(args.path)))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="tryghed", description="Yearly evaluation of public-safety programmes.")
    parser.add_argument("--version", action="version", version=f"tryghed {__version__}",
                        help="print the version and exit")
    parser.add_argument("--debug", action="store_true", help="show debug messages and full tracebacks")
    # --debug also after the subcommand; SUPPRESS keeps the subcommand from resetting a --debug given before it
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--debug", action="store_true", default=argparse.SUPPRESS,
                        help="show debug messages and full tracebacks")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("run", parents=[common], help="run a pipeline for a year, several years or every pipeline",
                       description="Run a pipeline's notebook chain and print the index page's path (last line). "
                       "Steps whose inputs and outputs are unchanged since the last run are skipped. Several years "
                       "(--years) or every pipeline (--all) run in parallel, one line per finished run.")
    p.add_argument("pipeline", nargs="?", help="pipeline name (pipelines/<name>.yml) or YAML path")
    p.add_argument("--all", action="store_true", help="run every pipeline in pipelines/")
    p.add_argument("--year", type=int, help="report year (default: the pipeline's default_year)")
    p.add_argument("--years", metavar="RANGE", help="several report years, e.g. 2010-2017 or 2014,2016")
    p.add_argument("--raw", help="folder with the raw extracts (default: each pipeline's demo data)")
    p.add_argument("--lang", default="da", choices=LANGS, help="report language (default: da)")
    p.add_argument("--out", help="write data/processed, figures and reports under this folder instead")
    p.add_argument("--force", action="store_true", help="rerun every notebook even when nothing changed")
    p.add_argument("--workers", type=int, metavar="N",
                   help="parallel runs for --years/--all (default: the number of cores)")
    p.add_argument("--executor", metavar="KIND",
                   help="where several runs go: process (default, a local process pool), serial, dask-local (a "
                   "Dask LocalCluster) or dask://HOST:PORT (a Dask distributed scheduler)")
    p.add_argument("--quiet", action="store_true", help="no progress display; only the index path(s)")
    p.add_argument("--period", choices=["year", "half_year"],
                   help="reporting period (default: the YAML's 'period'); half_year also reports StatBank rates by "
                   "half-year from the quarterly files (complete half-years only)")
    p.set_defaults(func=_cmd_run)

    p = sub.add_parser("validate", parents=[common], help="check configuration and inputs without running anything")
    p.add_argument("pipeline", help="pipeline name (pipelines/<name>.yml) or YAML path")
    p.add_argument("--raw", help="folder with the raw extracts (default: the demo data)")
    p.add_argument("--year", type=int, help="also check that every source covers this year")
    p.set_defaults(func=_cmd_validate)

    p = sub.add_parser("list", parents=[common], help="the pipelines and the years their data cover")
    p.add_argument("--raw", help="look for data here instead of each pipeline's demo folder")
    p.set_defaults(func=_cmd_list)

    p = sub.add_parser("demo-data", parents=[common], help="write the synthetic demo data set")
    p.add_argument("--out", help=f"target folder (default: {paths.DEMO_RAW.relative_to(paths.ROOT)})")
    p.add_argument("--seed", type=int, default=None, help=DEMO_SEED_HELP)
    p.set_defaults(func=_cmd_demo)

    p = sub.add_parser("fetch", parents=[common],
                       help="fetch a Statistics Denmark StatBank table into data/raw/dst/ and log it",
                       description="Fetch a StatBank table through the API (CSV with codes; BULK when large), save "
                       "the raw response and add an entry to the data log data/raw/README.md.")
    p.add_argument("source", choices=["dst"], help="dst: Statistics Denmark's StatBank (api.statbank.dk)")
    p.add_argument("table", help="table id, e.g. STRAF11, STRAF22, FOLK1A, STRAF44 (decisions by age 15-24)")
    p.add_argument("variables", nargs="*", metavar="VAR=v1,v2",
                   help="variable codes and values, e.g. OMRÅDE=000,101 OVERTRÆD=TOT,12 Tid=2024K1,2024K2")
    p.add_argument("--lang", default="da", choices=["da", "en"], help="language of the response (default: da)")
    p.add_argument("--out", help=f"save here instead of {(paths.DATA_RAW / 'dst').relative_to(paths.ROOT)}")
    p.set_defaults(func=_cmd_fetch)

    p = sub.add_parser("new", parents=[common],
                       help="write pipelines/NAME.yml for a long table (area, period, measure, numbers)",
                       description="Read a long table (CSV, xlsx or parquet), place its columns by their headers "
                       "(English or Danish) or by the options, and write a pipeline YAML that `tryghed run NAME` "
                       "runs as written; each choice is explained in a comment.")
    p.add_argument("name", help="the pipeline's id and file name (lower case, digits, - and _)")
    p.add_argument("--from", dest="from_file", required=True, metavar="FILE", help="the long table")
    for role, what in (("area", "areas"), ("period", "periods (2017, 2017H1, 2017Q1, 2017-01)"),
                       ("indicator", "measures' names"), ("count", "counts of events"),
                       ("population", "populations (denominators)"), ("value", "published shares or rates"),
                       ("n", "sample sizes")):
        p.add_argument(f"--{role}", metavar="HEADER", help=f"the column of the {what}")
    p.add_argument("--sheet", help="the worksheet of an xlsx (default: the first)")
    p.add_argument("--assumed-n", type=int, metavar="N",
                   help="sample size assumed for published shares without one (flagged in every statement)")
    p.add_argument("--report-by", metavar="PERIOD", help="the reporting period (default and, for now, only: year)")
    p.add_argument("--owner", help="who the evaluation is for (default: the root area's name)")
    p.add_argument("--out", metavar="DIR", help="write the YAML here instead of pipelines/")
    p.add_argument("--force", action="store_true", help="overwrite an existing pipeline of that name")
    p.set_defaults(func=_cmd_new)

    p = sub.add_parser("new-register", parents=[common], help="write an empty effort register to fill in",
                       description="Write the effort register's template (efforts, resources, success criteria, "
                       "results, evidence, activities and activity goals) with Danish headers: one xlsx with a "
                       "sheet per table when PATH ends in .xlsx, otherwise a folder of CSV files.")
    p.add_argument("path", help="the xlsx file or folder to write")
    p.set_defaults(func=_cmd_new_register)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.debug else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("tryghed").setLevel(logging.DEBUG if args.debug else logging.INFO)
    if getattr(args, "quiet", False) and not args.debug:
        for h in logging.getLogger().handlers:   # --quiet: warnings and errors only on stderr (run.log keeps all)
            h.setLevel(logging.WARNING)
    previous = signal.getsignal(signal.SIGINT)
    if threading.current_thread() is threading.main_thread() and previous is signal.default_int_handler:
        signal.signal(signal.SIGINT, _interrupted)
    try:
        return args.func(args)
    except TryghedError as exc:
        if args.debug:
            raise
        from .run import NotebookFailed

        print(f"tryghed: error: {exc}", file=sys.stderr)
        return 1 if isinstance(exc, NotebookFailed) else 2
    except KeyboardInterrupt:
        if args.debug:
            raise
        print("tryghed: interrupted; earlier outputs are untouched and no staging folder is left", file=sys.stderr)
        return 130
    finally:
        if signal.getsignal(signal.SIGINT) is _interrupted:
            signal.signal(signal.SIGINT, previous)


def _interrupted(signum, frame):
    """Ctrl-C: silence the log messages of the notebook kernel's shutdown (papermill's "kernel died", asyncio's
    unretrieved task) so that the one line ``main`` prints is all a person sees; then interrupt as usual."""
    logging.disable(logging.CRITICAL)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    raise KeyboardInterrupt


if __name__ == "__main__":
    sys.exit(main())
