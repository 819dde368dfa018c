"""The ``tryghed`` command: run, validate, list, demo-data, fetch."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path

from . import config, demo, paths
from .errors import TryghedError

log = logging.getLogger(__name__)


def _cmd_run(args) -> int:
    from .run import run_pipeline

    index = run_pipeline(args.pipeline, args.year, raw_dir=args.raw, lang=args.lang,
                         out_root=Path(args.out) if args.out else paths.ROOT, progress=not args.quiet,
                         environ=os.environ)
    print(index)
    return 0


def _cmd_validate(args) -> int:
    from .run import resolve_raw, validate

    pipeline = config.load_pipeline(args.pipeline)
    raw = resolve_raw(pipeline, args.raw)
    cov = validate(pipeline, raw, args.year, os.environ)
    print(f"{pipeline.path.name}: configuration valid ({len(pipeline.indicators)} indicators, "
          f"{len(pipeline.areas)} areas)")
    for c in cov:
        print(f"  {c.source:<15} {pipeline.sources[c.source].file}: {c.first}–{c.last}")
    from . import sources

    for sid in sources.missing_optional(pipeline, raw):
        print(f"  {sid:<15} {pipeline.sources[sid].file}: not in the raw folder (optional: its measures are "
              "reported as missing)")
    print(f"inputs in {raw} are valid" + (f" for {args.year}" if args.year else ""))
    return 0


def _cmd_list(args) -> int:
    from .run import coverage

    for name in config.available():
        pipeline = config.load_pipeline(name)
        raw = Path(args.raw) if args.raw else pipeline.demo_raw
        if raw.is_dir():
            try:
                cov = coverage(pipeline, raw)
                years = f"{max(c.first for c in cov)}–{min(c.last for c in cov)}"
            except TryghedError as exc:
                years = f"inputs not readable ({exc})"
        else:
            years = f"no data in {raw}"
        tag = " (demo data)" if demo.is_demo(raw) else ""
        print(f"{name:<12} {pipeline.name['en']:<32} years {years}{tag}")
    return 0


def _cmd_demo(args) -> int:
    out = Path(args.out) if args.out else paths.DEMO_RAW
    for p in demo.write_demo(out, seed=args.seed):
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


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="tryghed", description="Yearly evaluation of public-safety programmes.")
    parser.add_argument("--debug", action="store_true", help="show tracebacks")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("run", help="run a pipeline for one year")
    p.add_argument("pipeline", help="pipeline name (pipelines/<name>.yml) or YAML path")
    p.add_argument("--year", type=int, help="report year (default: the pipeline's default_year)")
    p.add_argument("--raw", help="folder with the raw extracts (default: the demo data)")
    p.add_argument("--lang", default="da", choices=config.LANGS, help="report language (default: da)")
    p.add_argument("--out", help="write data/processed, figures and reports under this folder instead")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=_cmd_run)

    p = sub.add_parser("validate", help="check configuration and inputs without running anything")
    p.add_argument("pipeline")
    p.add_argument("--raw")
    p.add_argument("--year", type=int)
    p.set_defaults(func=_cmd_validate)

    p = sub.add_parser("list", help="the pipelines and the years their data cover")
    p.add_argument("--raw", help="look for data here instead of each pipeline's demo folder")
    p.set_defaults(func=_cmd_list)

    p = sub.add_parser("demo-data", help="write the synthetic demo data set")
    p.add_argument("--out", help=f"target folder (default: {paths.DEMO_RAW.relative_to(paths.ROOT)})")
    p.add_argument("--seed", type=int, default=demo.SEED)
    p.set_defaults(func=_cmd_demo)

    p = sub.add_parser("fetch", help="fetch a Statistics Denmark StatBank table into data/raw/dst/ and log it",
                       description="Fetch a StatBank table through the API (CSV with codes; BULK when large), save "
                       "the raw response and add an entry to the data log data/raw/README.md.")
    p.add_argument("source", choices=["dst"], help="dst: Statistics Denmark's StatBank (api.statbank.dk)")
    p.add_argument("table", help="table id, e.g. STRAF11, STRAF22, FOLK1A")
    p.add_argument("variables", nargs="*", metavar="VAR=v1,v2",
                   help="variable codes and values, e.g. OMRÅDE=000,101 OVERTRÆD=TOT,12 Tid=2024K1,2024K2")
    p.add_argument("--lang", default="da", choices=["da", "en"], help="language of the response (default: da)")
    p.add_argument("--out", help=f"save here instead of {(paths.DATA_RAW / 'dst').relative_to(paths.ROOT)}")
    p.set_defaults(func=_cmd_fetch)

    p = sub.add_parser("new", help="write pipelines/NAME.yml for a long table (area, period, measure, numbers)",
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
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.debug else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("tryghed").setLevel(logging.INFO)
    try:
        return args.func(args)
    except TryghedError as exc:
        if args.debug:
            raise
        from .run import NotebookFailed

        print(f"tryghed: error: {exc}", file=sys.stderr)
        return 1 if isinstance(exc, NotebookFailed) else 2
    except KeyboardInterrupt:
        print("tryghed: interrupted; earlier outputs are untouched", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
