"""A corpus N times the shared one, for the scale benchmarks: every JSONL record of
``../shared/corpus-data`` written N times, copy k under the id ``<id>~k`` (copy 0 keeps its id), in
files of at most 20,000 records (as a crawler would split them). The HTML pages are left out.

    .venv/bin/python benchmarks/scaled_corpus.py --times 10 [--out benchmarks/out/corpus-x10]

The copies have the same text, so the index grows as a corpus of N times the articles would (the
same vocabulary: a real corpus that grows also grows its vocabulary, so this is the easy case for
dictionary sizes and the hard one for posting list lengths). Writes nothing when the output
already holds the same number of records.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
DEFAULT_SHARED = HERE.parent.parent / "shared" / "corpus-data"
RECORDS_PER_FILE = 20_000


def scaled_corpus(source: Path, times: int, out: Path,
                  per_file: int = RECORDS_PER_FILE) -> tuple[Path, int]:
    """Write (or find written) the corpus ``times`` the JSONL records of ``source``, in files of
    ``per_file`` records (one file when it is at least the total); returns its folder and its
    number of records."""
    lines = []
    for path in sorted(source.rglob("*.jsonl")):
        lines.extend(line for line in path.read_text(encoding="utf-8").splitlines() if line.strip())
    total = len(lines) * times
    stamp = out / "RECORDS"
    if stamp.exists() and stamp.read_text().strip() == str(total):
        return out, total
    out.mkdir(parents=True, exist_ok=True)
    for old in out.glob("part-*.jsonl"):
        old.unlink()
    written = 0
    handle = None
    for k in range(times):
        for line in lines:
            if written % per_file == 0:
                if handle is not None:
                    handle.close()
                handle = open(out / f"part-{written // per_file:05d}.jsonl", "w", encoding="utf-8")  # noqa: SIM115 - one file after another
            record = json.loads(line)
            if k:
                record["id"] = f"{record.get('id', written)}~{k}"
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")
            written += 1
    if handle is not None:
        handle.close()
    stamp.write_text(str(total))
    return out, total


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--source", type=Path, default=DEFAULT_SHARED)
    parser.add_argument("--times", type=int, default=10)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args(argv)
    out = args.out or HERE / "out" / f"corpus-x{args.times}"
    folder, total = scaled_corpus(args.source, args.times, out)
    print(f"{total:,} records in {folder}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
