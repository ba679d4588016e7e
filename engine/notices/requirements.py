"""Requirement lines as installed metadata writes them (PEP 508): the name, the extras asked
for, and whether the environment marker holds on this machine; stdlib only, since the
runtime does not depend on ``packaging``."""

from __future__ import annotations

import operator
import os
import platform
import re
import sys
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

_NAME = re.compile(r"\s*([A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)\s*(?:\[([^\]]*)\])?")
_TOKEN = re.compile(r"""\s*(?:(?P<string>'[^']*'|"[^"]*")|(?P<op>===|==|!=|<=|>=|~=|<|>"""
                    r"""|not\s+in\b|in\b)|(?P<paren>[()])|(?P<word>[A-Za-z_][A-Za-z0-9_.]*))""")
# The variables whose values are compared as versions (as packaging.markers does).
_VERSION_KEYS = {"implementation_version", "platform_release", "python_full_version",
                 "python_version"}
_ALIASES = {"os.name": "os_name", "sys.platform": "sys_platform",
            "platform.version": "platform_version", "platform.machine": "platform_machine",
            "platform.python_implementation": "platform_python_implementation",
            "python_implementation": "platform_python_implementation"}
_VERSION = re.compile(
    r"v?(?:(?P<epoch>\d+)!)?(?P<release>\d+(?:\.\d+)*)"
    r"(?:[-_.]?(?P<pre>alpha|a|beta|b|preview|pre|c|rc)[-_.]?(?P<pre_n>\d*))?"
    r"(?:-(?P<post_implicit>\d+)|[-_.]?(?:post|rev|r)[-_.]?(?P<post_n>\d*))?"
    r"(?:[-_.]?(?P<dev>dev)[-_.]?(?P<dev_n>\d*))?"
    r"(?:\+(?P<local>[a-z0-9]+(?:[-_.][a-z0-9]+)*))?", re.IGNORECASE)
_PRE_ORDER = {"a": 0, "alpha": 0, "b": 1, "beta": 1, "c": 2, "rc": 2, "pre": 2, "preview": 2}
# When a comparison is not one of versions, strings are equal or not; they have no order
# (as packaging 26 reads PEP 508: "<" is never true, "<=" means "==").
_STRING_OPS: dict[str, Callable[[str, str], bool]] = {
    "==": operator.eq, "!=": operator.ne, "<": lambda _a, _b: False, "<=": operator.eq,
    ">": lambda _a, _b: False, ">=": operator.eq}


class MarkerError(ValueError):
    """A requirement or marker this module cannot read."""


@dataclass(frozen=True)
class Requirement:
    name: str
    extras: frozenset[str]
    marker: str | None


def canonical(name: str) -> str:
    """A distribution or extra name compared as PEP 503 says: case and -_. runs folded."""
    return re.sub(r"[-_.]+", "-", name).lower()


def parse_requirement(line: str) -> Requirement:
    match = _NAME.match(line)
    if not match:
        raise MarkerError(f"not a requirement: {line!r}")
    rest = line[match.end():]
    # After a URL (name @ url), the marker's ";" must follow a space: a URL may hold ";".
    parts = re.split(r"\s;", rest, maxsplit=1) if rest.lstrip().startswith("@") \
        else rest.split(";", 1)
    marker = parts[1].strip() if len(parts) > 1 else ""
    extras = frozenset(canonical(e) for e in (match.group(2) or "").replace(" ", "").split(",")
                       if e)
    return Requirement(match.group(1), extras, marker or None)


def default_environment() -> dict[str, str]:
    """The marker variables of the running interpreter (PEP 508)."""
    info = sys.implementation.version
    implementation_version = f"{info.major}.{info.minor}.{info.micro}"
    if info.releaselevel != "final":
        implementation_version += info.releaselevel[0] + str(info.serial)
    return {"implementation_name": sys.implementation.name,
            "implementation_version": implementation_version,
            "os_name": os.name, "platform_machine": platform.machine(),
            "platform_release": platform.release(), "platform_system": platform.system(),
            "platform_version": platform.version(),
            "python_full_version": platform.python_version(),
            "platform_python_implementation": platform.python_implementation(),
            "python_version": ".".join(platform.python_version_tuple()[:2]),
            "sys_platform": sys.platform}


def marker_holds(marker: str | None, extras: Iterable[str] = (),
                 environment: Mapping[str, str] | None = None) -> bool:
    """Whether a requirement with this marker applies when ``extras`` of its owner are asked
    for (none: only its plain dependencies). Raises MarkerError on a marker it cannot read."""
    if not marker:
        return True
    tokens = _tokens(marker)
    env = dict(default_environment() if environment is None else environment)
    if env.get("python_full_version", "").endswith("+"):   # a build from a source checkout
        env["python_full_version"] += "local"
    return any(_Parser(tokens, {**env, "extra": extra}).evaluate()
               for extra in ("", *sorted(extras)))


def _tokens(marker: str) -> list[tuple[str, str]]:
    tokens, position = [], 0
    while marker[position:].strip():
        match = _TOKEN.match(marker, position)
        if not match or match.end() == position:
            raise MarkerError(f"cannot read the marker {marker!r} at {marker[position:]!r}")
        kind = match.lastgroup or ""
        value = match.group(kind)
        tokens.append((kind, " ".join(value.split()) if kind == "op" else value))
        position = match.end()
    return tokens


class _Parser:
    """marker = and_expr ('or' and_expr)*; and_expr = atom ('and' atom)*;
    atom = '(' marker ')' | value op value."""

    def __init__(self, tokens: list[tuple[str, str]], environment: Mapping[str, str]) -> None:
        self.tokens, self.at, self.environment = tokens, 0, environment

    def evaluate(self) -> bool:
        result = self._or()
        if self.at != len(self.tokens):
            raise MarkerError(f"unexpected {self.tokens[self.at][1]!r} in a marker")
        return result

    def _peek(self) -> tuple[str, str]:
        return self.tokens[self.at] if self.at < len(self.tokens) else ("end", "")

    def _take(self, kind: str) -> str:
        found, value = self._peek()
        if found != kind:
            raise MarkerError(f"expected {kind} in a marker, found {value or 'its end'!r}")
        self.at += 1
        return value

    def _or(self) -> bool:
        results = [self._and()]
        while self._peek() == ("word", "or"):
            self.at += 1
            results.append(self._and())
        return any(results)

    def _and(self) -> bool:
        results = [self._atom()]
        while self._peek() == ("word", "and"):
            self.at += 1
            results.append(self._atom())
        return all(results)

    def _atom(self) -> bool:
        if self._peek() == ("paren", "("):
            self.at += 1
            result = self._or()
            self._take("paren")
            return result
        lhs, lhs_key = self._value()
        op = self._take("op")
        rhs, rhs_key = self._value()
        key = lhs_key or rhs_key
        if key == "extra":
            lhs, rhs = canonical(lhs), canonical(rhs)
        return _compare(lhs, op, rhs, key)

    def _value(self) -> tuple[str, str]:
        kind, value = self._peek()
        if kind == "string":
            self.at += 1
            return value[1:-1], ""
        key = _ALIASES.get(value, value)
        if kind != "word" or key not in self.environment:
            raise MarkerError(f"unknown marker variable {value!r}")
        self.at += 1
        return self.environment[key], key


def _compare(lhs: str, op: str, rhs: str, key: str) -> bool:
    if op in ("in", "not in"):
        return (lhs in rhs) == (op == "in")
    if key in _VERSION_KEYS:
        if op == "===":
            return lhs == rhs
        result = _version_compare(lhs, op, rhs)
        if result is not None:
            return result
    if op not in _STRING_OPS:
        raise MarkerError(f"cannot compare {lhs!r} and {rhs!r} with {op}")
    return _STRING_OPS[op](lhs, rhs)


_Key = tuple[int, tuple[int, ...], tuple[int, int], int, tuple[int, int]]


def _parse_version(text: str) -> tuple[_Key, str] | None:
    """PEP 440's ordering key of a version and its local part; None when it is not one."""
    match = _VERSION.fullmatch(text.strip())
    if not match:
        return None
    release = tuple(int(n) for n in match["release"].split("."))
    while len(release) > 1 and release[-1] == 0:
        release = release[:-1]
    post = match["post_implicit"] or match["post_n"]   # "" for a bare ".post"
    has_post = post is not None
    if match["pre"]:
        pre = (_PRE_ORDER[match["pre"].lower()], int(match["pre_n"] or 0))
    else:   # a dev release of a final version sorts before its pre-releases
        pre = (-1, 0) if match["dev"] and not has_post else (3, 0)
    dev = (0, int(match["dev_n"] or 0)) if match["dev"] else (1, 0)
    key = (int(match["epoch"] or 0), release, pre, int(post or 0) if has_post else -1, dev)
    return key, match["local"] or ""


def _version_compare(lhs: str, op: str, rhs: str) -> bool | None:
    """``lhs op rhs`` as a PEP 440 specifier; None when ``op rhs`` is not a valid one."""
    if op == "===":
        return None
    wildcard = rhs.endswith(".*")
    spec = _parse_version(rhs[:-2] if wildcard else rhs)
    if spec is None or (wildcard and op not in ("==", "!=")) or (spec[1] and op not in (
            "==", "!=")) or (op == "~=" and len(rhs.split("+")[0].split(".")) < 2):
        return None
    found = _parse_version(lhs)
    if found is None:
        return False
    (have, local), (want, want_local) = found, spec
    if op in ("==", "!="):
        if wildcard:
            prefix = tuple(int(n) for n in _release_text(rhs[:-2]).split("."))
            equal = have[0] == want[0] and _padded(have[1], len(prefix))[:len(prefix)] == prefix
        else:
            equal = have == want and (not want_local or local == want_local)
        return equal == (op == "==")
    if op == "~=":
        stem = tuple(int(n) for n in _release_text(rhs).split("."))[:-1]
        return have >= want and _padded(have[1], len(stem))[:len(stem)] == stem \
            and have[0] == want[0]
    if op == "<=":
        return have <= want
    if op == ">=":
        return have >= want
    if have[:2] != want[:2]:   # another epoch or release: plain order
        return have < want if op == "<" else have > want
    # "<V" and ">V" leave out V's own family (as packaging 26 does): "<V" is "<V.dev0"
    # unless V is a pre-release; ">V" leaves out the post-releases of a final or pre-release V.
    if op == "<":
        if _pre(want) or want[3] != -1:
            return have < want
        return False
    if want[4] != (1, 0) or want[3] != -1:
        return have > want
    return have > want and have[2] != want[2]


def _pre(key: _Key) -> bool:
    return key[2] != (3, 0) or key[4] != (1, 0)


def _release_text(version: str) -> str:
    match = _VERSION.fullmatch(version.strip())
    return match["release"] if match else version


def _padded(release: tuple[int, ...], length: int) -> tuple[int, ...]:
    return release + (0,) * (length - len(release))
