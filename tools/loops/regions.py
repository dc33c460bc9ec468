"""Thread teams placed outside the loop they share out: `#pragma omp parallel` on an enclosing statement and
`#pragma omp for` on the loop, so the work-shared loop is not outlined on its own.

Two forms, both checked by the sandbox like any other change:

- **A team around a serial loop** (a time step, Floyd-Warshall's k loop). The serial loop S gets
  `#pragma omp parallel`; each loop in its body gets `#pragma omp for` with its own clauses. Every thread runs S's
  iterations itself, and the `omp for` barriers keep the steps in order, so one team serves every step instead of a
  fork and join per step. This is sound only when what every thread runs redundantly has no effect a thread could
  see: S's body may hold nothing but the work-shared loops and declarations of private locals with pure
  initializers, S's index is declared in its header, and S's bounds are not written in its body.
- **A team at the call site** (orphaned `omp for`). A loop that is the whole work of a void function F gets
  `#pragma omp for` in F, and each plain call `F(...);` in the file gets `#pragma omp parallel`. The loop
  stays in F, so the compiler keeps what it knows there: gcc's outlined parallel region loses `restrict` on F's
  parameters, and with it reuse of neighbour loads across iterations (a 2-D stencil's single-thread time rose from
  0.58 s to 0.74 s here; with the team at the call site it stays 0.58 s). Offered only when F has restrict pointer
  parameters that the loop uses. A call elsewhere (in an expression, another file) still runs F serially: an orphaned
  `omp for` outside a parallel region is executed by the one thread. (No `nowait`, though the region ends right
  after the loop: with it gcc 12 compiled the same stencil 25% slower, 2.07 s against 1.66 s on one thread.)
"""

from __future__ import annotations

import tree_sitter as ts

from hpcagent.records import Edit, Proposal, loop_id
from hpcagent.tools.loops.cparse import Source, under_omp, walk
from hpcagent.tools.loops.invariants import written_names
from hpcagent.tools.loops.nests import Loop
from hpcagent.tools.loops.privatize import read_after
from hpcagent.tools.loops.proposals import starts_line
from hpcagent.tools.loops.symbols import function_symbols
from hpcagent.tools.loops.verdict import LoopFacts
from hpcagent.tools.patch import indentation, insert_before

TEAM_NOTE = "one thread team"
IMPURE = ("call_expression", "assignment_expression", "update_expression", "new_expression", "delete_expression",
          "throw_statement", "co_await_expression")


def pure(node: ts.Node | None) -> bool:
    """No call, assignment or increment anywhere in node: evaluating it twice, in two threads, changes nothing."""
    return node is None or not any(n.type in IMPURE for n in walk(node))


def statements(body: ts.Node | None) -> list[ts.Node]:
    if body is None:
        return []
    if body.type != "compound_statement":
        return [body]
    return [c for c in body.named_children if c.type != "comment"]


def private_declaration(src: Source, stmt: ts.Node) -> list[str] | None:
    """The names a declaration statement declares, if each is a scalar or pointer with a pure initializer and no
    static storage (every thread may run it and get its own copy); None otherwise."""
    if stmt.type != "declaration":
        return None
    if any(c.type == "storage_class_specifier" and src.text_of(c) in ("static", "extern", "thread_local")
           for c in stmt.named_children):
        return None
    kind = stmt.child_by_field_name("type")
    if kind is None or not (kind.type in ("primitive_type", "sized_type_specifier")
                            or (kind.type == "type_identifier" and src.lang == "c")):
        return None  # a C++ class object: its constructor runs in every thread, and its storage is per thread
    names = []
    for decl in stmt.children_by_field_name("declarator"):
        node = decl.child_by_field_name("declarator") if decl.type == "init_declarator" else decl
        if decl.type == "init_declarator" and not pure(decl.child_by_field_name("value")):
            return None
        while node is not None and node.type == "pointer_declarator":
            node = node.child_by_field_name("declarator")
        if node is None or node.type != "identifier":
            return None  # arrays (each thread would fill its own copy), functions, references
        names.append(src.text_of(node))
    return names


def clause_names(clauses: list[str], kinds: tuple[str, ...]) -> set[str]:
    out: set[str] = set()
    for c in clauses:
        if c.startswith(kinds):
            inside = c[c.index("(") + 1: c.rindex(")")]
            out |= {n.strip() for n in inside.split(":")[-1].split(",")}
    return out


def team_around(src: Source, facts: dict[int, LoopFacts], loop: Loop, file: str,
                picks: dict[int, Proposal]) -> Proposal | None:
    """`#pragma omp parallel` on serial loop `loop` and `#pragma omp for` on each loop of its body (see module
    doc). picks maps a member's line to its top pragma candidate (for schedule and collapse; an unproven one makes
    the team unproven); a member without one must be proved parallel and gets its facts' clauses. Other statements
    of the body (a pointer swap, a progress print) run in `#pragma omp single` blocks (see single_runs). An index
    declared before the loop is private to each thread when nothing reads it after the loop. None when the body
    holds anything the team could not run so."""
    mine = facts.get(loop.node.id)
    if mine is None or mine.parallel or loop.kind != "for" or not loop.index or loop.omp:
        return None
    if under_omp(src, loop.node) or not starts_line(src, loop):
        return None
    outside_index = not loop.index_declared
    if outside_index:
        decl = function_symbols(src, loop.fn_node).get(loop.index)
        if decl is None or decl.scope != "local" or decl.kind != "scalar" or read_after(src, loop, loop.index):
            return None  # a private copy per thread leaves the variable itself as it was before the loop
    condition, update = (loop.node.child_by_field_name(f) for f in ("condition", "update"))
    if not pure(condition) or (update is not None and any(n.type == "call_expression" for n in walk(update))) \
            or set(written_names(src, update)) - {loop.index}:
        return None
    body = loop.body
    locals_: set[str] = {loop.index or ""}
    members: list[tuple[Loop, list[str]]] = []
    unproven: list[str] = []
    children = {c.node.id: c for c in loop.children}
    private_inits: list[ts.Node] = []
    runs: list[list[ts.Node]] = [[]]
    body_stmts = statements(body)
    # a declaration every thread can run for a copy of its own, unless it reads what a single block writes
    others = [st for st in body_stmts if st.id not in children and private_declaration(src, st) is None]
    single_writes = {name for st in others for name in written_names(src, st)}
    for stmt in body_stmts:
        if stmt.id in children:
            child, cf, pick = children[stmt.id], facts.get(stmt.id), picks.get(children[stmt.id].line)
            if cf is None or child.omp or not starts_line(src, child) or (pick is None and not cf.parallel):
                return None
            clauses = list(pick.clauses) if pick is not None else list(cf.clauses)
            if pick is not None and pick.proof == "unproven":
                unproven.append(pick.reason)
            if clause_names(clauses, ("reduction", "lastprivate")) & locals_:
                return None  # the variable would be private to each thread of the team: nothing to combine into
            members.append((child, clauses))
            runs.append([])
            continue
        names = private_declaration(src, stmt)
        if names is not None and not ({src.text_of(n) for n in walk(stmt) if n.type == "identifier"}
                                      & single_writes):
            locals_ |= set(names)
            private_inits.append(stmt)
            runs.append([])
            continue
        runs[-1].append(stmt)  # run once, by one thread, in a single block
    runs = [r for r in runs if r]
    if not members:
        return None
    blocks = single_runs(src, body, runs, locals_, private_inits)
    if blocks is None:
        return None
    header = [h for h in (condition, update) if h is not None]
    bound_names = {src.text_of(n) for h in header for n in walk(h) if n.type == "identifier"}
    if (bound_names - {loop.index}) & (set(written_names(src, body)) | locals_):
        return None  # every thread evaluates the header itself: it must see the same bounds
    if any(n.type in ("subscript_expression", "pointer_expression", "field_expression")
           for h in header for n in walk(h)):
        return None  # a bound read from memory that the sweeps may write
    inserts: dict[int, list[str]] = {}  # line -> the lines to insert before it, indented

    def put(line: int, text: str, like: int, front: bool = False) -> None:
        entry = indentation(src.lines, like) + text + "\n"
        texts = inserts.setdefault(line, [])
        texts.insert(0, entry) if front else texts.append(entry)

    put(loop.line, "#pragma omp parallel" + (f" private({loop.index})" if outside_index else ""), loop.line)
    for first, last in blocks:
        put(first, "#pragma omp single", first)
        put(first, "{", first)
        put(last + 1, "}", first, front=True)
    for child, clauses in members:
        put(child.line, " ".join(["#pragma omp for", *clauses]), child.line)
    edits = [Edit(file, line, line - 1, "".join(texts)) for line, texts in sorted(inserts.items())]
    ids = [loop_id(file, c.line) for c, _ in members]
    reason = (f"{TEAM_NOTE} for the serial loop {loop_id(file, loop.line)}: `#pragma omp parallel` on it and `#pragma omp "
              f"for` on the {len(members)} loop(s) in its body ({', '.join(ids)}), so the team is not forked and "
              "joined on every iteration")
    if blocks:
        reason += (f"; the other statements of its body run in {len(blocks)} `omp single` block(s) (one thread, the "
                   "others wait at its barrier)")
    if outside_index:
        reason += f"; its index {loop.index}, declared before it and not read after it, private to each thread"
    prop = Proposal(file, loop.line, loop.end_line, "rewrite", edits[0].new_text.strip().splitlines()[0], [], edits,
                    0.8, reason, "analysis")
    prop.members = ids
    if unproven:
        prop.proof, prop.confidence = "unproven", 0.4
        prop.reason += "; " + "; ".join(unproven)
    return prop


def _returns_void(src: Source, fn: ts.Node) -> bool:
    kind = fn.child_by_field_name("type")
    declarator = fn.child_by_field_name("declarator")
    return kind is not None and src.text_of(kind) == "void" and declarator is not None \
        and declarator.type == "function_declarator"


def plain_calls(src: Source, name: str, skip: ts.Node) -> list[ts.Node] | None:
    """The statements `name(args);` in the file, each alone on its line with pure arguments; None if a call sits
    inside an OpenMP construct already or in skip (the function itself)."""
    out = []
    for node in walk(src.root):
        if node.type != "call_expression" or src.text_of(node.child_by_field_name("function")) != name:
            continue
        if skip.start_byte <= node.start_byte < skip.end_byte or under_omp(src, node):
            return None
        stmt = node.parent
        if stmt is None or stmt.type != "expression_statement" or stmt.start_point[0] != stmt.end_point[0]:
            continue
        if src.lines[stmt.start_point[0]].strip() != src.text_of(stmt).strip():
            continue
        if not pure(node.child_by_field_name("arguments")):
            continue
        out.append(stmt)
    return out


def team_at_call_sites(src: Source, facts: LoopFacts, file: str, top: Proposal) -> Proposal | None:
    """Orphaned `#pragma omp for` on a loop that is the whole work of a void function, with `#pragma omp parallel`
    on each plain call of it (see module doc); None unless the function has restrict pointer parameters the loop
    uses and at least one call can take the team."""
    loop = facts.loop
    fn = loop.fn_node
    if loop.depth != 1 or not facts.parallel or loop.omp or not _returns_void(src, fn):
        return None
    if clause_names(top.clauses, ("reduction", "lastprivate")):
        return None  # F's locals are private to each thread of the caller's team
    body = fn.child_by_field_name("body")
    top_level = statements(body)
    if loop.node.id not in {s.id for s in top_level}:
        return None  # under an if or a block: the condition would be run by every thread
    others = [s for s in top_level if s.id != loop.node.id]
    if any(private_declaration(src, s) is None for s in others):
        return None  # every thread of the caller's team runs the rest of F
    used = {src.text_of(n) for n in walk(loop.node) if n.type == "identifier"}
    restrict = [d.name for d in function_symbols(src, fn).values()
                if d.scope == "param" and d.restrict and d.kind == "pointer" and d.name in used]
    if not restrict:
        return None
    calls = plain_calls(src, loop.function, fn)
    if not calls:
        return None
    pragma = " ".join(["#pragma omp for", *top.clauses])
    edits = [insert_before(file, loop.line, pragma, src.lines)]
    edits += [insert_before(file, s.start_point[0] + 1, "#pragma omp parallel", src.lines) for s in calls]
    sites = ", ".join(f"{file}:{s.start_point[0] + 1}" for s in calls)
    reason = (f"{TEAM_NOTE} at the call site(s) of {loop.function}() ({sites}): the loop stays in "
              f"{loop.function}(), whose restrict parameters ({', '.join(restrict)}) an outlined parallel loop "
              f"would lose; {top.reason}")
    return Proposal(file, loop.line, loop.end_line, "rewrite", pragma, list(top.clauses), edits, 0.85, reason,
                    "analysis")


ESCAPES = ("break_statement", "continue_statement", "return_statement", "goto_statement", "labeled_statement",
           "co_return_statement", "throw_statement")
"""Statements that would leave a single block (not allowed in an OpenMP structured block)."""


def single_runs(src: Source, body: ts.Node, runs: list[list[ts.Node]], locals_: set[str],
                private_inits: list[ts.Node]) -> list[tuple[int, int]] | None:
    """The (first, last) lines of each run of statements to wrap in `#pragma omp single { ... }`, or None when one
    cannot be: it must start and end on lines of its own, hold no jump out of it, no directive and no loop of its
    own with OpenMP, declare nothing the rest of the body uses (the braces end its scope), and write none of the
    team's private variables (one thread's copy would change). A private declaration may not read what a single
    writes: a thread could read it while another is still in the single (no barrier on entry)."""
    blocks: list[tuple[int, int]] = []
    written: set[str] = set()
    for run in runs:
        first, last = run[0], run[-1]
        line0, line1 = first.start_point[0] + 1, last.end_point[0] + 1
        if src.lines[line0 - 1][: first.start_point[1]].strip() or src.lines[line1 - 1][last.end_point[1]:].strip():
            return None
        nodes = [n for stmt in run for n in walk(stmt)]
        if any(n.type in ESCAPES or n.type.startswith("preproc") for n in nodes) or any(
                n.type == "comment" and "omp" in src.text_of(n) for n in nodes):
            return None
        declared = {src.text_of(d) for stmt in run if stmt.type == "declaration" for d in _declared(stmt)}
        rest = [n for n in walk(body) if n.type == "identifier" and not any(
            stmt.start_byte <= n.start_byte < stmt.end_byte for stmt in run)]
        if declared & {src.text_of(n) for n in rest}:
            return None
        writes = set()
        for stmt in run:
            writes |= set(written_names(src, stmt))
        if writes & locals_:
            return None
        written |= writes
        blocks.append((line0, line1))
    for stmt in private_inits:
        if {src.text_of(n) for n in walk(stmt) if n.type == "identifier"} & written:
            return None
    return blocks


def _declared(stmt: ts.Node) -> list[ts.Node]:
    out = []
    for decl in stmt.children_by_field_name("declarator"):
        node = decl
        while node is not None and node.type != "identifier":
            node = node.child_by_field_name("declarator")
        if node is not None:
            out.append(node)
    return out
