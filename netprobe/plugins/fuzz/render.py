"""Fuzz records as lines for a person at a terminal (JSON Lines go out as they are).

Routine checks that find the target alive are not printed (the progress bar
shows the run going); everything that matters is: the start, a target that
stops answering, each minimisation step, the crash and the summary.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from netprobe.services.json_value import JSONRecord


def _cases(numbers: list[int]) -> str:
    if not numbers:
        return "no cases"
    if len(numbers) == 1:
        return f"case {numbers[0]}"
    if numbers == list(range(numbers[0], numbers[-1] + 1)):
        return f"cases {numbers[0]}-{numbers[-1]} ({len(numbers)})"
    shown = ", ".join(map(str, numbers[:8]))
    return f"cases {shown}{', ...' if len(numbers) > 8 else ''} ({len(numbers)})"


def _answer(summary: str | None) -> str:
    """The part of an answer's summary that says what it is (``ICMP dest-unreach ...``)."""
    if summary is None:
        return "no answer"
    parts = summary.split(" / ")
    for part in parts:
        if part.startswith(("ICMP", "TCP", "UDP")):
            return part
    return parts[-1]


def mutation_text(m: JSONRecord) -> str:
    """One mutation in a few words: ``Raw.load grow append +7 bytes``."""
    field = m.get("field", "?")
    strategy = m.get("strategy", "?")
    if "item_field" in m:
        field = f"{field}[{m['item']}].{m['item_field']}"
    if "value" in m and "was" in m:
        at = f" (length byte at {m['offset']})" if "offset" in m else ""
        return f"{field} {strategy} {m['was']} -> {m['value']}{at}"
    if "value" in m and "offset" in m:
        return f"{field} {strategy} {m['value']:#x} at byte {m['offset']}"
    if "bits" in m:
        return f"{field} {strategy} bits {','.join(map(str, m['bits']))}"
    if "from" in m and "to" in m:
        return f"{field} {strategy} {m['from']} -> {m['to']} bytes"
    if "order" in m:
        return f"{field} {strategy} order {m['order']}"
    if "dropped" in m:
        return f"{field} {strategy} item {m['dropped']} dropped"
    if "kept" in m:
        return f"{field} {strategy} first {m['kept']} of {m['from']} kept"
    if "duplicated" in m:
        return f"{field} {strategy} item {m['duplicated']} x{m['times']}"
    if "offset" in m:
        return f"{field} {strategy} {m.get('length', '')} bytes at {m['offset']}".replace(
            "  ", " ")
    if "fill" in m:
        return f"{field} {strategy} all {m['fill']:#04x}"
    return f"{field} {strategy}"


def case_line(rec: JSONRecord) -> str:
    """A dry-run case: number, length, mutations."""
    muts = "; ".join(mutation_text(m) for m in rec.get("mutations", ()))
    return f"case {rec['case']}  {rec['length']} bytes  {muts}"


def record_line(rec: JSONRecord) -> str | None:
    """The text of a record, or None for records not shown on a terminal."""
    kind = rec.get("type")
    if kind == "start":
        mons = ", ".join(rec.get("monitors") or []) or "none (no crash detection)"
        end = rec["first_case"] + (rec.get("count") or 0) - 1
        return (f"fuzzing {rec['target']}: cases {rec['first_case']}-{end} of seed "
                f"{rec['seed']}; fields {', '.join(rec['fields'])}; monitor {mons}"
                + (f" every {rec['monitor_every']} cases" if rec.get("monitors") else ""))
    if kind == "replay":
        return (f"replaying {_cases(rec['cases'])} of {rec['file']} to {rec['target']}; "
                f"monitor {', '.join(rec['monitors'])}")
    if kind == "check":
        phase = rec.get("phase")
        if phase == "restart":
            return "  target answers again after the restart" if rec["alive"] else None
        if rec["alive"] or phase == "bisect":
            return None
        silent = ", ".join(f"{m['monitor']}: {_answer(m['answer'])}"
                           for m in rec["monitors"] if not m["alive"])
        where = f" after case {rec['after_case']}" if "after_case" in rec else ""
        return f"check{where} ({phase}): the target does not answer ({silent})"
    if kind == "failure":
        return (f"the target stopped answering after cases {rec['first_case']}-"
                f"{rec['last_case']}; minimising")
    if kind == "bisect":
        verdict = "dies" if rec["dead"] else "survives"
        return f"  step {rec['step']}: {_cases(rec['cases'])}: the target {verdict}"
    if kind == "crash":
        how = "minimal" if rec.get("minimal") else "not minimised to the end"
        if not rec.get("reproduced"):
            how = "NOT reproduced when sent again"
        verb = "kills" if len(rec["cases"]) == 1 else "kill"
        lines = [f"crash: {_cases(rec['cases'])} of seed {rec['seed']} {verb} the target "
                 f"({how}, {rec['steps']} steps)"]
        for number, muts in zip(rec["cases"], rec["mutations"]):
            lines.append(f"  case {number}: " + "; ".join(mutation_text(m) for m in muts))
        lines.append(f"  saved {rec['file']} and {rec['pcapng']}")
        lines.append(f"  replay: netprobe fuzz --replay {rec['file']}")
        if rec.get("restart_failed"):
            lines.append(f"  the target did not come back after a restart: "
                         f"{rec['restart_failed']}")
        return "\n".join(lines)
    if kind == "summary":
        rate = rec.get("cases_per_s")
        tail = {"count": "all cases sent", "max-time": "stopped by --max-time",
                "dead": "stopped: the target died", "interrupted": "interrupted"}.get(
                    rec.get("stopped"), str(rec.get("stopped")))
        return (f"{rec['cases']} cases in {rec['fuzzing_s']:.1f} s"
                + (f" ({rate:.0f}/s)" if rate else "")
                + f", {rec['answered']} answered, {rec['checks']} checks, "
                f"{rec['failures']} failure{'' if rec['failures'] == 1 else 's'}; {tail}; "
                f"next case {rec['next_case']}")
    if kind == "replay_result":
        return ("the target died again" if rec["died"]
                else "the target survived the replay")
    return None
