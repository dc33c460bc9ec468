"""Loops written for a thread team: each thread updates the rows indexed by its own thread number.

Code written for OpenMP (or with its directives stripped) often reads `tid = omp_get_thread_num()` just before a
loop whose body updates that thread's row of shared partial results, `part[tid][k] += ...`, which the code merges
after the loop. Outside a parallel region tid is 0, so a plain `parallel for` on the loop would have every thread
update row 0 (a race). What the code was written for is a team: `#pragma omp parallel` around the statement that
reads the thread number and the loop, `#pragma omp for` on the loop. Then each thread's rows are its own, and the
loop is analysed without the accesses at `[tid]`.

That the rows are distinct and as many as the team's threads depends on how they were allocated, which the analysis
does not follow: the candidate is unproven, left to the race check and the output comparison.
"""

from __future__ import annotations

from dataclasses import dataclass

import tree_sitter as ts

from hpcagent.records import Edit, Proposal
from hpcagent.tools.loops.cparse import Source, declarator_name, walk
from hpcagent.tools.loops.facts import BodyFacts
from hpcagent.tools.loops.memory import root_name
from hpcagent.tools.loops.nests import Loop
from hpcagent.tools.patch import indentation, insert_before

THREAD_NUMBER = "omp_get_thread_num"


@dataclass
class ThreadRows:
    """The thread number a loop's rows are indexed by, and where the team goes."""

    name: str
    """The variable holding omp_get_thread_num()."""
    first: ts.Node
    """The statement that reads the thread number (a declaration or an assignment)."""
    declared: bool
    """first declares the variable: each thread of the team has its own. Else it needs private()."""
    block: ts.Node | None
    """A bare `{ }` block holding only first, declarations and the loop: the parallel directive goes before it.
    None: first and the loop are wrapped in a new block."""
    rows: list[str]
    """The arrays accessed at [name] first: one row per thread."""


def _thread_number(src: Source, stmt: ts.Node) -> tuple[str, bool] | None:
    """(variable, declared) when stmt is `T v = omp_get_thread_num();` or `v = omp_get_thread_num();`."""
    def is_call(node: ts.Node | None) -> bool:
        fn = node.child_by_field_name("function") if node is not None and node.type == "call_expression" else None
        return fn is not None and src.text_of(fn) == THREAD_NUMBER

    if stmt.type == "declaration":
        inits = [c for c in stmt.named_children if c.type == "init_declarator"]
        if len(inits) == 1 and is_call(inits[0].child_by_field_name("value")):
            return declarator_name(src, inits[0]), True
    if stmt.type == "expression_statement" and stmt.named_children:
        expr = stmt.named_children[0]
        left = expr.child_by_field_name("left") if expr.type == "assignment_expression" else None
        if left is not None and left.type == "identifier" and src.text_of(expr.child_by_field_name("operator")) == "=" \
                and is_call(expr.child_by_field_name("right")):
            return src.text_of(left), False
    return None


def _named_after(src: Source, names: set[str], start: int, end: int, scope: ts.Node) -> bool:
    return any(n.type == "identifier" and start <= n.start_byte < end and src.text_of(n) in names for n in walk(scope))


def thread_rows(src: Source, loop: Loop, facts: BodyFacts) -> ThreadRows | None:
    """The loop's thread-number rows, with those accesses taken out of facts.mem; None (facts untouched) when the
    loop does not follow a statement reading omp_get_thread_num() (only declarations between them), the loop
    writes that variable, no access is indexed by it first, or the team could not be placed without changing what
    the code after the loop sees."""
    block = loop.node.parent
    if block is None or block.type != "compound_statement" or loop.fn_node is None:
        return None
    stmts = [c for c in block.named_children if c.type != "comment"]
    at = next((i for i, c in enumerate(stmts) if c.id == loop.node.id), None)
    if at is None:
        return None
    found, k = None, at - 1
    while k >= 0:
        found = _thread_number(src, stmts[k])
        if found is not None:
            break
        if stmts[k].type != "declaration":
            return None
        k -= 1
    if found is None:
        return None
    name, declared = found
    first = stmts[k]
    if name in facts.writes():
        return None

    def by_thread(m) -> bool:
        return bool(m.subscripts) and m.subscripts[0].type == "identifier" and src.text_of(m.subscripts[0]) == name

    rows = sorted({root_name(m.base) for m in facts.mem if m.via == "subscript" and by_thread(m)})
    if not rows:
        return None
    # what the team's block hides from the code after it: the declarations it now scopes, and (assigned) the variable
    local = {declarator_name(src, d) for s in stmts[k:at] if s.type == "declaration"
             for d in s.named_children if d.type in ("init_declarator", "identifier", "array_declarator",
                                                    "pointer_declarator")}
    hidden = local | ({name} if not declared else set())
    bare = block.parent is not None and block.parent.type == "compound_statement" and k == 0 and at == len(stmts) - 1
    if bare and src.lines[block.start_point[0]][: block.start_point[1]].strip() == "":
        if not declared and _named_after(src, {name}, block.end_byte, loop.fn_node.end_byte, loop.fn_node):
            return None
    else:
        bare = False
        last = src.lines[loop.node.end_point[0]][loop.node.end_point[1]:].strip()
        if src.lines[first.start_point[0]][: first.start_point[1]].strip() or last:
            return None  # the wrapping braces need lines of their own
        if _named_after(src, hidden, loop.node.end_byte, loop.fn_node.end_byte, loop.fn_node):
            return None
    facts.mem = [m for m in facts.mem if not (m.via == "subscript" and by_thread(m))]
    return ThreadRows(name, first, declared, block if bare else None, rows)


TEAM_ROWS_NOTE = "written for a thread team"


def rows_team(src: Source, file: str, facts) -> list[Proposal]:
    """The one candidate of a loop with thread rows (facts: its LoopFacts): `#pragma omp parallel` around the
    thread-number statement and the loop, `#pragma omp for` on the loop with the clauses it gets once its rows are
    set aside. None when it is not parallel even so (or would need atomic updates). Always unproven."""
    loop, team, obstacle = facts.loop, facts.thread_rows, facts.obstacle
    clauses = facts.clauses if facts.parallel else facts.unproven_clauses if not facts.unproven_atomics else None
    if clauses is None or src.lines[loop.line - 1][: loop.node.start_point[1]].strip():
        return []
    directive = "#pragma omp parallel" + ("" if team.declared else f" private({team.name})")
    if team.block is not None:
        where = f"the block at line {team.block.start_point[0] + 1}"
        edits = [insert_before(file, team.block.start_point[0] + 1, directive, src.lines)]
    else:
        start, end = team.first.start_point[0] + 1, loop.end_line
        indent = indentation(src.lines, start)
        where = f"lines {start}-{end} (a new block)"
        edits = [Edit(file, start, start - 1, f"{indent}{directive}\n{indent}{{\n")]
    edits.append(insert_before(file, loop.line, " ".join(["#pragma omp for", *clauses]), src.lines))
    if team.block is None:
        indent = indentation(src.lines, team.first.start_point[0] + 1)
        edits.append(Edit(file, loop.end_line + 1, loop.end_line, f"{indent}}}\n"))
    rows = ", ".join(f"{r}[{team.name}]" for r in team.rows)
    reason = (f"not proven by the analysis: {TEAM_ROWS_NOTE}: {team.name} = {THREAD_NUMBER}() indexes {rows}, one "
              f"row per thread (taken to be distinct, and as many as the team's threads); `{directive}` around "
              f"{where} and `#pragma omp for` on the loop, as the rows assume"
              + (f"; also {obstacle}" if obstacle else ""))
    prop = Proposal(file, loop.line, loop.end_line, "rewrite", directive, list(clauses), edits, 0.6, reason, "analysis")
    prop.proof = "unproven"
    return [prop]
