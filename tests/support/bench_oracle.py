"""A scripted oracle model for ``rlm bench`` against the fake server: as main model it plays a
sensible RLM strategy per task (regex for needles; chunk, label by batched helper questions
and count for aggregate and pairs), as helper model it labels instances by their wording."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from tests.support.fake_openai import ChatRequest, Reply

LABELS = ("abbreviation", "entity", "description and abstract concept", "human being",
          "location", "numeric value")
# Opening words of each class's questions, as a reader would tell them apart.
OPENINGS = (("What does ", "abbreviation"), ("What is the full form", "abbreviation"),
            ("Which ", "entity"), ("Why ", "description and abstract concept"),
            ("How does ", "description and abstract concept"), ("Who ", "human being"),
            ("Where ", "location"), ("In which valley", "location"),
            ("How many ", "numeric value"), ("When ", "numeric value"))
LABEL_PROMPT = ("Label each question below with one of: " + ", ".join(LABELS) +
                ". Reply with one label per line, in order.")


def classify(instance: str) -> str:
    """The class of a generated instance, read from its opening words."""
    text = instance.strip()
    for opening, label in OPENINGS:
        if text.startswith(opening):
            return label
    raise ValueError(f"an instance of no known class: {text!r}")


PARSE = r'''
import datetime, functools, re
from collections import Counter
rows = re.findall(r"Date: (\w{3} \d{2}, \d{4}) \|\| User: (\d+) \|\| Instance: ([^\n|]*)",
                  context)
prompts = [PROMPT + "\n" + "\n".join(r[2].strip() for r in rows[i:i + BATCH])
           for i in range(0, len(rows), BATCH)]
replies = llm_query_batched(prompts)
labels = [label.strip() for reply in replies for label in reply.strip().split("\n")]
day = functools.lru_cache(None)(
    lambda text: datetime.datetime.strptime(text, "%b %d, %Y").date())
data = [(d, int(u), label) for (d, u, _), label in zip(rows, labels)]
print(len(rows), "lines,", len(prompts), "helper questions,", len(labels), "labels")
'''


CONTRACTS = r'''
import re
pages = [(int(m.group(1)), int(m.group(2)), m.group(3)) for m in re.finditer(
    r"^--- doc (\d+), page (\d+)[^\n]*---\n(.*?)(?=^--- doc |^=== DOCUMENT |\Z)", context,
    re.M | re.S)]
docs = {}
for d, p, t in pages:
    docs.setdefault(d, []).append((p, t))

def find(d, pattern):
    for p, t in docs[d]:
        m = re.search(pattern, t)
        if m:
            return p, m
    return None

def mark(d, found):
    return '[[cite doc=%d page=%d quote="%s"]]' % (d, found[0], found[1].group(0))

room = []
for d in docs:
    kind = find(d, r"(LEASE|NON-DISCLOSURE|SUPPLIER) AGREEMENT")
    party = find(d, r"and (.+?) \(the Counterparty\)")
    if kind and party:
        room.append(dict(doc=d, kind=kind[1].group(1), party=party[1].group(1),
                         notice=find(d, r"terminate on (\d+) days' written notice"),
                         rent=find(d, r"The annual rent is ([\d,]+) EUR"),
                         law=find(d, r"governed by the laws of ([^.\n]+)\."),
                         expiry=find(d, r"expires on (\d+ \w+ \d{4})")))
'''
CONTRACT_ANSWERS = (
    (r"notice period, in days, in the (\w+)\S* .*?with (.+?)\?",
     "hit = [a for a in room if a['kind'].lower().startswith({0!r}[:5]) and a['party'] == {1!r}"
     " and a['notice']][0]\nanswer = mark(hit['doc'], hit['notice']) + "
     "'\\nAnswer: ' + hit['notice'][1].group(1)\n"),
    (r"total annual rent",
     "hits = [a for a in room if a['rent']]\nanswer = ' '.join(mark(a['doc'], a['rent']) for a in"
     " hits) + '\\nAnswer: %d' % sum(int(a['rent'][1].group(1).replace(',', '')) for a in"
     " hits)\n"),
    (r"non-disclosure agreements are governed by the laws of (.+?)\?",
     "hits = [a for a in room if a['kind'] == 'NON-DISCLOSURE' and a['law'] and "
     "a['law'][1].group(1) == {0!r}]\nanswer = ' '.join(mark(a['doc'], a['law']) for a in hits)"
     " + '\\nAnswer: %d' % len(hits)\n"),
    (r"earliest expiry date",
     "import datetime\nday = lambda a: datetime.datetime.strptime(a['expiry'][1].group(1), "
     "'%d %B %Y')\nhit = min((a for a in room if a['expiry']), key=day)\n"
     "answer = mark(hit['doc'], hit['expiry']) + '\\nAnswer: ' + hit['expiry'][1].group(1)\n"),
    (r"different governing laws",
     "laws = {}\nfor a in room:\n    if a['law']:\n        laws.setdefault(a['party'], [])"
     ".append(a)\nhits = next(v for v in laws.values() if len({a['law'][1].group(1) for a in v})"
     " > 1)\nanswer = ' '.join(mark(a['doc'], a['law']) for a in hits) + '\\nAnswer: ' + "
     "hits[0]['party']\n"),
)


def contracts_plan(question: str) -> str | None:
    """The oracle's code for a contracts question: read the clauses with regular expressions
    page by page, answer, and cite each clause it used (None: not a contracts question)."""
    for pattern, code in CONTRACT_ANSWERS:
        found = re.search(pattern, question)
        if found:
            for n, value in enumerate(found.groups()):
                code = code.replace(f"{{{n}!r}}", repr(value))
            return CONTRACTS + code
    return None


def quoted(question: str) -> list[str]:
    return re.findall(r"'([^']+)'", question)


def plan(question: str, batch: int) -> str:
    """The code the oracle writes for ``question``; it leaves its answer in ``answer``."""
    contract = contracts_plan(question)
    if contract is not None:
        return contract
    key = re.search(r"special magic numbers for (\S+) mentioned", question)
    if key:
        return (f"import re\nfound = re.findall(r'special magic numbers for {key.group(1)} "
                "is: (\\d{7})', context)\nanswer = 'Answer: ' + ', '.join(found)\n"
                "print(answer)")
    parse = PARSE.replace("PROMPT", repr(LABEL_PROMPT)).replace("BATCH", str(batch))
    names = quoted(question)
    date = re.search(r"dated (before|after) (\w{3} \d{2}, \d{4})", question)
    if date:
        parse += (f"pivot = day({date.group(2)!r})\n"
                  f"data = [r for r in data if day(r[0]) "
                  f"{'>' if date.group(1) == 'after' else '<'} pivot]\n")
    least = re.search(r"at least (\d+) instances", question)
    if least and "one user has" in question:
        x, y = names[:2]
        return parse + (
            f"k = {least.group(1)}\nc = Counter((u, label) for _, u, label in data)\n"
            f"sx = {{u for (u, label), n in c.items() if label == {x!r} and n >= k}}\n"
            f"sy = {{u for (u, label), n in c.items() if label == {y!r} and n >= k}}\n"
            "pairs = sorted({(min(a, b), max(a, b)) for a in sx for b in sy if a != b})\n"
            "answer = 'Answer:\\n' + '\\n'.join('(%d, %d)' % p for p in pairs)\n")
    if least:
        x, y = names[:2]
        return parse + (
            f"k = {least.group(1)}\n"
            f"c = Counter(u for _, u, label in data if label in ({x!r}, {y!r}))\n"
            "users = sorted(u for u, n in c.items() if n >= k)\n"
            "pairs = [(a, b) for i, a in enumerate(users) for b in users[i + 1:]]\n"
            "answer = 'Answer:\\n' + '\\n'.join('(%d, %d)' % p for p in pairs)\n")
    counts = (f"c = Counter({{label: 0 for label in {LABELS!r}}})\n"
              "c.update(label for _, _, label in data)\n")
    if "most common" in question or "the most common" in question:
        return parse + counts + "answer = 'Label: ' + max(c, key=c.get)\n"
    if "least common" in question:
        return parse + counts + "answer = 'Label: ' + min(c, key=c.get)\n"
    if question.startswith("How many"):
        return parse + counts + f"answer = 'Answer: %d' % c[{names[0]!r}]\n"
    if "same frequency" in question:
        x, y = names[:2]
        return parse + counts + (
            f"d = c[{x!r}] - c[{y!r}]\nanswer = 'Answer: ' + ('more common than' if d > 0 "
            "else 'less common than' if d < 0 else 'same frequency as')\n")
    if "user ID has the most" in question:
        return parse + ("u = Counter(u for _, u, _ in data)\n"
                        "answer = 'User: %d' % u.most_common(1)[0][0]\n")
    raise ValueError(f"the oracle has no plan for {question!r}")


def question_of(request: ChatRequest) -> str | None:
    """The question of an RLM run's conversation (None: a one-prompt method's request)."""
    for message in request.messages:
        found = re.search(r"^Question: (.+)$", str(message.get("content") or ""), re.MULTILINE)
        if found:
            return found.group(1).strip()
    return None


def read_whole_prompt(prompt: str) -> str:
    """A one-prompt method (direct, retrieval): the same plan run over the prompt's own text,
    as a model that read every word of it would answer."""
    question = next(line for line in reversed(prompt.split("\n\n")[:-1]) if line.strip())
    if contracts_plan(question.strip()) is None:
        return answer_from_text(prompt, question.strip())
    try:  # retrieval's excerpts may lack the clause or the cover page a plan reads
        return answer_from_text(prompt, question.strip())
    except (IndexError, KeyError, StopIteration, ValueError):
        return "The excerpts do not say.\nAnswer: unknown"


def answer_from_text(text: str, question: str) -> str:
    """The oracle's plan run here, over ``text`` alone, helper questions answered by
    ``classify``: the answer a perfect reader of ``text`` gives."""
    namespace: dict[str, Any] = {
        "context": text, "print": lambda *_args: None,
        "llm_query_batched": lambda prompts: [
            "\n".join(classify(line) for line in p.split("\n")[1:]) for p in prompts]}
    exec(plan(question, 10**9), namespace)
    return str(namespace["answer"])


def oracle(batch: int = 400, sub_latency: float | None = None,
           root_latency: float | None = None,
           sub_model: str = "fake-sub") -> Callable[[ChatRequest], Reply]:
    """The fake server's script: the main model's two steps and the helper's labels."""

    def script(request: ChatRequest) -> Reply:
        if request.model == sub_model:
            lines = request.last_user.split("\n")[1:]
            return Reply("\n".join(classify(line) for line in lines), latency=sub_latency)
        if request.last_user.endswith("Reply with OK."):  # rlm bench's calibration
            return Reply("OK", latency=root_latency)
        question = question_of(request)
        if question is None:
            return Reply(read_whole_prompt(request.last_user), latency=root_latency)
        if request.assistant_turns == 0:
            code = plan(question, batch)
            return Reply(f"I will work through the text in code.\n```repl\n{code.strip()}\n```\n",
                         latency=root_latency)
        return Reply("```repl\nFINAL_VAR('answer')\n```\n", latency=root_latency)

    return script
