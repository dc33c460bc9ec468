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
    inside: bool = False
    """first is a declaration in the loop's own body: every iteration reads the number of the thread running it, so
    the loop's ordinary candidates are the right ones (unproven, like the team)."""


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


def _in_body(src: Source, loop: Loop) -> tuple[str, ts.Node] | None:
    """(variable, declaration) for `T v = omp_get_thread_num();` among the top statements of the loop's body."""
    body = loop.body
    for stmt in (body.named_children if body is not None and body.type == "compound_statement" else []):
        found = _thread_number(src, stmt) if stmt.type == "declaration" else None
        if found is not None:
            return found[0], stmt
    return None


def _before(src: Source, stmts: list[ts.Node], at: int) -> tuple[str, bool, int] | None:
    """(variable, declared, index in stmts) of the statement reading the thread number before the loop, with only
    declarations between them."""
    for k in range(at - 1, -1, -1):
        found = _thread_number(src, stmts[k])
        if found is not None:
            return found[0], found[1], k
        if stmts[k].type != "declaration":
            return None
    return None


def thread_rows(src: Source, loop: Loop, facts: BodyFacts) -> ThreadRows | None:
    """The loop's thread-number rows, with those accesses (and, read in the body, the runtime call) taken out of
    facts; None (facts untouched) when no statement reads omp_get_thread_num() right before the loop (only
    declarations between) or at the top of its body, the variable is used in the loop other than as the first
    subscript of a row (or written), no access is indexed by it, or the team could not be placed without changing
    what the code after the loop sees."""
    block = loop.node.parent
    if block is None or loop.fn_node is None:
        return None
    stmts = [c for c in block.named_children if c.type != "comment"] if block.type == "compound_statement" else []
    at = next((i for i, c in enumerate(stmts) if c.id == loop.node.id), None)
    inner = _in_body(src, loop)
    outer = _before(src, stmts, at) if at is not None and inner is None else None
    if inner is None and outer is None:
        return None
    name, declared = (inner[0], True) if inner else (outer[0], outer[1])
    first = inner[1] if inner else stmts[outer[2]]

    def by_thread(m) -> bool:
        return bool(m.subscripts) and m.subscripts[0].type == "identifier" and src.text_of(m.subscripts[0]) == name

    at_rows = [m for m in facts.mem if m.via == "subscript" and by_thread(m)]
    row_firsts = {m.subscripts[0].id for m in at_rows}
    uses = [n for n in walk(loop.node) if n.type == "identifier" and src.text_of(n) == name
            and not (inner and first.start_byte <= n.start_byte < first.end_byte)]
    if not row_firsts or any(n.id not in row_firsts for n in uses):
        return None  # the thread number used as a value (printed, computed with) would change the results
    rows = sorted({root_name(m.base) for m in at_rows})
    if inner is None:
        bare = _team_place(src, loop, block, stmts, outer[2], at, name, declared)
        if bare is None:
            return None
    taken = {id(m) for m in at_rows}
    facts.mem = [m for m in facts.mem if id(m) not in taken]
    if inner is not None:
        facts.calls = [(c, node) for c, node in facts.calls
                       if not (c == THREAD_NUMBER and first.start_byte <= node.start_byte < first.end_byte)]
        return ThreadRows(name, first, True, None, rows, inside=True)
    return ThreadRows(name, first, declared, block if bare else None, rows)


def _team_place(src: Source, loop: Loop, block: ts.Node, stmts: list[ts.Node], k: int, at: int, name: str,
                declared: bool) -> bool | None:
    """True: the parallel directive goes on the bare block; False: first..loop are wrapped in a new block; None:
    neither keeps what the code after the loop sees (a declaration it reads, the assigned variable)."""
    first = stmts[k]
    # what the team's block hides from the code after it: the declarations it now scopes, and (assigned) the variable
    local = {declarator_name(src, d) for s in stmts[k:at] if s.type == "declaration"
             for d in s.named_children if d.type in ("init_declarator", "identifier", "array_declarator",
                                                    "pointer_declarator")}
    hidden = local | ({name} if not declared else set())
    bare = block.parent is not None and block.parent.type == "compound_statement" and k == 0 and at == len(stmts) - 1
    if bare and src.lines[block.start_point[0]][: block.start_point[1]].strip() == "":
        if not declared and _named_after(src, {name}, block.end_byte, loop.fn_node.end_byte, loop.fn_node):
            return None
        return True
    last = src.lines[loop.node.end_point[0]][loop.node.end_point[1]:].strip()
    if src.lines[first.start_point[0]][: first.start_point[1]].strip() or last:
        return None  # the wrapping braces need lines of their own
    if _named_after(src, hidden, loop.node.end_byte, loop.fn_node.end_byte, loop.fn_node):
        return None
    return False


TEAM_ROWS_NOTE = "written for a thread team"


def rows_marked(cands: list[Proposal], facts) -> list[Proposal]:
    """The ordinary candidates of a loop that reads the thread number in its body (ThreadRows.inside), unproven."""
    team = facts.thread_rows
    rows = ", ".join(f"{r}[{team.name}]" for r in team.rows)
    for c in cands:
        if c.line == facts.loop.line:
            c.proof = "unproven"
            c.reason = (f"not proven by the analysis: {TEAM_ROWS_NOTE}: each iteration indexes {rows} by "
                        f"{team.name} = {THREAD_NUMBER}(), the thread running it (rows taken to be distinct, and as "
                        f"many as the team's threads); {c.reason}")
    return cands


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


def rows_verdict(facts) -> str:
    """The loop's verdict for its report: "unknown" when its rows were set aside (they are unproven), else its own."""
    return "unknown" if facts.thread_rows is not None else facts.verdict
