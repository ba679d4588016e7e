"""The tasks' table, items made from a seed, and a benchmark folder's files (manifest, items,
results appended as they finish)."""

from __future__ import annotations

import json
import random
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from engine.bench import aggregate, contracts, needle, pairs
from engine.bench.sample import CHARS_PER_TOKEN, Sample, sha256
from engine.errors import ConfigError

Generator = Callable[[int, int, str], Sample]
TASKS: dict[str, tuple[Generator, tuple[str, ...]]] = {
    "needle": (needle.generate, needle.VARIANTS),
    "aggregate": (aggregate.generate, aggregate.VARIANTS),
    "pairs": (pairs.generate, pairs.VARIANTS),
    "contracts": (contracts.generate, contracts.VARIANTS),
}
MIN_TOKENS, MAX_TOKENS = 8_192, 8_388_608
MANIFEST, ITEMS, RESULTS = "manifest.json", "items.jsonl", "results.jsonl"
VERSION = 1


@dataclass(frozen=True)
class Item:
    """One benchmark question; its context is made again from ``seed`` when needed."""

    task: str
    id: str
    tokens: int
    seed: int
    variant: str
    kind: str
    question: str
    gold: Any
    context_sha256: str
    chars: int

    def sample(self) -> Sample:
        """Make the context again and check that it is the one generated."""
        made = TASKS[self.task][0](self.seed, self.tokens, self.variant)
        if sha256(made.context) != self.context_sha256:
            raise ConfigError(f"the context of {self.id} came out different from the one "
                              "generated (another version of rlm?); generate the benchmark "
                              "again")
        return made


def make_items(task: str, tokens: int, count: int, seed: int,
               variant: str | None = None) -> Iterator[Item]:
    """``count`` items of ``task`` at ``tokens``, their seeds drawn from ``seed``; variants in
    turn unless ``variant`` names one."""
    if task not in TASKS:
        raise ConfigError(f"no task {task!r}; choose one of {', '.join(TASKS)}")
    generate, variants = TASKS[task]
    if variant is not None and variant not in variants:
        raise ConfigError(f"the {task} task has no variant {variant!r}; choose one of "
                          f"{', '.join(variants)}")
    if not MIN_TOKENS <= tokens <= MAX_TOKENS:
        raise ConfigError(f"lengths go from {MIN_TOKENS:,} to {MAX_TOKENS:,} tokens, not "
                          f"{tokens:,}")
    seeds = random.Random(f"{task}/{seed}/{tokens}")
    for index in range(count):
        item_seed = seeds.randrange(2**31)
        chosen = variant or variants[index % len(variants)]
        made = generate(item_seed, tokens, chosen)
        yield Item(task=task, id=f"{task}-{tokens}-{seed}-{index}", tokens=tokens,
                   seed=item_seed, variant=chosen, kind=made.kind, question=made.question,
                   gold=made.gold, context_sha256=sha256(made.context), chars=len(made.context))


def write_items(folder: Path, items: list[Item], plan: dict[str, Any]) -> None:
    """Add ``items`` to the folder's items.jsonl and the plan to its manifest."""
    folder.mkdir(parents=True, exist_ok=True)
    known = {item.id for item in read_items(folder)} if (folder / ITEMS).exists() else set()
    with open(folder / ITEMS, "a", encoding="utf-8") as out:
        for item in items:
            if item.id not in known:
                out.write(json.dumps(asdict(item)) + "\n")
    manifest: dict[str, Any] = read_manifest(folder) if (folder / MANIFEST).exists() else {
        "version": VERSION, "chars_per_token": CHARS_PER_TOKEN, "generated": []}
    manifest["generated"].append({**plan, "items": [
        {"id": i.id, "seed": i.seed, "context_sha256": i.context_sha256} for i in items]})
    (folder / MANIFEST).write_text(json.dumps(manifest, indent=1), encoding="utf-8")


def read_manifest(folder: Path) -> dict[str, Any]:
    return dict(json.loads((folder / MANIFEST).read_text(encoding="utf-8")))


def read_items(folder: Path) -> list[Item]:
    path = folder / ITEMS
    if not path.exists():
        raise ConfigError(f"no benchmark in {folder} (no {ITEMS}); make one with "
                          "rlm bench generate")
    with open(path, encoding="utf-8") as lines:
        return [Item(**json.loads(line)) for line in lines if line.strip()]


def read_results(path: Path) -> list[dict[str, Any]]:
    """The results so far; a line cut short by an interrupted run is skipped."""
    if not path.exists():
        return []
    results = []
    with open(path, encoding="utf-8") as lines:
        for line in lines:
            try:
                results.append(json.loads(line))
            except json.JSONDecodeError:
                continue
    return results


def append_result(path: Path, result: dict[str, Any]) -> None:
    with open(path, "a+b") as out:
        out.seek(0, 2)
        if out.tell():  # a line cut short by an interrupted run: start on a fresh line
            out.seek(-1, 2)
            if out.read(1) != b"\n":
                out.write(b"\n")
        out.write(json.dumps(result).encode("utf-8") + b"\n")
        out.flush()
