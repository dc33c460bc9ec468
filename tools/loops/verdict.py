"""Decide, for one loop, parallel / reduction / serial / unknown with the reason and the data-sharing clauses."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field, replace
from pathlib import Path

import tree_sitter as ts

from hpcagent.tools.loops import calls
from hpcagent.tools.loops.access import Scanner
from hpcagent.tools.loops.accessors import Members, range_issues
from hpcagent.tools.loops.affine import Affine, to_affine
from hpcagent.tools.loops.array_reduction import affine_section, reduction_clause, section_size, update_arrays
from hpcagent.tools.loops.calls import Effects, call_args, call_problem, handed_rows, own_object
from hpcagent.tools.loops.cparse import Source, declarator_name, template_types, walk
from hpcagent.tools.loops.facts import HIDDEN_STATE, BodyFacts, MemAccess
from hpcagent.tools.loops.invariants import function_invariants, row_pointers, written_names
from hpcagent.tools.loops.memory import MemoryAnalysis, MemoryVerdict, root_name
from hpcagent.tools.loops.nests import Loop, body_cost, find_loops
from hpcagent.tools.loops.privatize import Scratch, privatize
from hpcagent.tools.loops.program import Program
from hpcagent.tools.loops.scalars import ScalarClass, classify
from hpcagent.tools.loops.symbols import Decl, function_symbols
from hpcagent.tools.loops.thread_rows import ThreadRows, thread_rows


@dataclass
class LoopFacts:
    """What the analysis found about one loop."""

    loop: Loop
    verdict: str = "unknown"
    reason: str = ""
    clauses: list[str] = field(default_factory=list)
    scalars: list[ScalarClass] = field(default_factory=list)
    memory: MemoryVerdict | None = None
    calls: list[str] = field(default_factory=list)
    issues: list[tuple[str, str]] = field(default_factory=list)
    trip: int | None = None
    cost: int = 0
    body: BodyFacts | None = None
    array_clauses: list[str] = field(default_factory=list)
    """reduction(+:hist) or reduction(+:hist[:n]) for histogram-style arrays."""
    atomics: list[ts.Node] = field(default_factory=list)
    """Updates that need `#pragma omp atomic` (array reductions of unknown size)."""
    unproven_clauses: list[str] | None = None
    """For an "unknown" loop whose only obstacle is a possible dependence or aliasing between memory accesses:
    the clauses it would get if those accesses were independent (None otherwise). Not a proof: a candidate built
    from them is left to the sandbox (race check, tests, output comparison). Also set, for a serial loop, when
    private_arrays is: the clauses once those arrays are declared in the body."""
    obstacle: str = ""
    """What the analysis could not prove, for a loop with unproven_clauses."""
    reach: list[str] = field(default_factory=list)
    """Issues that are calls writing memory reached through their pointer arguments (Effects.only_deep): which
    elements, the analysis cannot tell; alone (or with a possible dependence) they leave an unproven candidate."""
    unproven_atomics: list[ts.Node] = field(default_factory=list)
    """With unproven_clauses: the histogram updates that need `#pragma omp atomic` once the accesses are taken
    as not aliased (array reductions of unknown size, seen only in that test)."""
    private_arrays: list[Scratch] = field(default_factory=list)
    """Scratch arrays whose dependence alone keeps the loop serial: with each declared as a local array in the body,
    the loop gets unproven_clauses (unproven only if obstacle says why: a parameter's or global's contents)."""
    thread_rows: ThreadRows | None = None
    """The loop follows `tid = omp_get_thread_num()` and updates rows at [tid] (tools/loops/thread_rows.py): it was
    analysed without those accesses, and its only candidate is the team it was written for."""

    @property
    def parallel(self) -> bool:
        return self.verdict in ("parallel", "reduction")


class FileAnalyzer:
    """Analyses every loop of one parsed file."""

    def __init__(self, src: Source, program: Program | None = None):
        self.src = src
        self.program = program
        """The whole program's call graph, when every file is known (aliasing proved through callers)."""
        self.loops = find_loops(src)
        self.by_node = {lp.node.id: lp for lp in self.loops}
        here = next((Path(k).parent for k, s in program.sources.items() if s is src), None) if program else None
        self.effects: dict[str, Effects] = calls.program_effects(
            list(program.sources.values()), src, [s for k, s in program.sources.items() if Path(k).parent == here]) \
            if program is not None else calls.file_effects(src)
        self._symbols: dict[int, dict[str, Decl]] = {}
        self.members = program.members if program is not None else Members([src])

    def distinct(self, loop: Loop) -> set[frozenset[str]]:
        """Pointer-parameter pairs of loop's function bound to distinct objects at every call site."""
        if self.program is None:  # this file alone: a whole program only if it defines main
            self.program = Program({"<file>": self.src})
        return self.program.distinct_params(self.src, loop.fn_node, loop.function)

    def symbols(self, loop: Loop) -> dict[str, Decl]:
        if loop.fn_node.id not in self._symbols:
            self._symbols[loop.fn_node.id] = function_symbols(self.src, loop.fn_node)
        return self._symbols[loop.fn_node.id]

    def live_after(self, loop: Loop, names: set[str]) -> set[str]:
        """Names whose value at loop exit may be read later (or by a caller: globals, references)."""
        symbols = self.symbols(loop)
        # a member of a local struct (d.x) lives on only if the struct is named again after the loop
        members = {n: n.split(".")[0] for n in names if "." in n}
        live = {n for n in names if (root := members.get(n, n)) not in symbols or symbols[root].scope == "global"
                or symbols[root].kind == "scalar_ref"}
        regions = [(loop.node.end_byte, loop.fn_node.end_byte)]
        regions += [(outer.body.start_byte, loop.node.start_byte) for outer in loop.ancestors() if outer.body]
        for start, end in regions:
            firsts: dict[str, ts.Node] = {}
            for node in walk(loop.fn_node):
                if node.type == "identifier" and start <= node.start_byte < end:
                    firsts.setdefault(self.src.text_of(node), node)
            for name in names - live:
                node = firsts.get(members.get(name, name))
                if node is not None and (name in members or not self._killed(node, name)):
                    live.add(name)
        return live

    def _killed(self, node: ts.Node, name: str) -> bool:
        """True if this first occurrence after the loop overwrites name without reading it."""
        parent = node.parent
        if parent is None:
            return False
        if parent.type == "assignment_expression" and parent.child_by_field_name("left") == node:
            if self.src.text_of(parent.child_by_field_name("operator")) != "=":
                return False
            right = parent.child_by_field_name("right")
            return not any(n.type == "identifier" and self.src.text_of(n) == name for n in walk(right))
        return parent.type in ("init_declarator", "declaration")

    def env(self, loop: Loop, facts: BodyFacts) -> dict[str, Affine]:
        """Body-local integer names with one affine definition, to substitute into subscripts."""
        env: dict[str, Affine] = {}
        writes: dict[str, list] = {}
        for site in facts.sites:
            if site.write:
                writes.setdefault(site.name, []).append(site)
        for node in walk(loop.body) if loop.body is not None else []:
            value = name = None
            if node.type == "init_declarator":
                name, value = declarator_name(self.src, node), node.child_by_field_name("value")
                if writes.get(name):
                    continue
            elif node.type == "assignment_expression" and self.src.text_of(node.child_by_field_name("operator")) == "=":
                name, value = self.src.text_of(node.child_by_field_name("left")), node.child_by_field_name("right")
                if len(writes.get(name, [])) != 1 or name in facts.exposed:
                    continue
            if name and value is not None:
                aff = to_affine(self.src, value, env)
                if aff is not None:
                    env[name] = aff
        return env

    def analyze(self, loop: Loop) -> LoopFacts:
        out = LoopFacts(loop, trip=loop.trip_count())
        out.cost = max(1, body_cost(self.src, loop.body, self.by_node))
        if loop.omp:
            out.reason = f"already under '{loop.omp}'; left alone"
            return out
        if not loop.canonical:
            out.verdict, out.reason = "serial", loop.why_not
            return out
        facts = Scanner(self.src, self.by_node, self.members.accessors).scan(loop)
        out.thread_rows = thread_rows(self.src, loop, facts)  # part[tid][k] += ...: each thread's own rows
        out.body = facts
        symbols = self.symbols(loop)
        issues = out.issues
        for kind, line in facts.exits:
            issues.append(("serial", f"early exit ({kind} at line {line})"))
        for name, line in facts.io:
            issues.append(("serial", f"I/O ({name} at line {line}): the output order would change"))
        for name in sorted({name for name, _ in facts.calls if name in HIDDEN_STATE}):
            issues.append(("serial", f"{name}() keeps hidden state: which iteration gets which result would depend "
                                     "on the schedule"))
        if loop.index in facts.writes() and loop.kind != "range":
            issues.append(("serial", f"the index {loop.index} is modified in the body"))
        bound_names = {self.src.text_of(n) for b in loop.bound_nodes for n in walk(b) if n.type == "identifier"}
        for name in sorted(bound_names & facts.writes()):
            issues.append(("serial", f"the loop bound depends on {name}, which the body modifies"))
        # a call that reads or writes elements of an array it is handed, at subscripts it is handed too
        # (randn(seed, x) advancing seed[x]): those accesses, written out at the call, are the loop's own
        unfolded = {node.id: handed for name, node in facts.calls
                    if (handed := self._element_accesses(node, self.effects.get(name), facts, symbols)) is not None}
        written_mem = {root_name(m.base) for m in facts.mem if m.write}
        casts = template_types(self.src, loop.fn_node)
        for name, node in facts.calls:
            out.calls.append(name)
            problem = None if name in casts else call_problem(name, self.effects)
            eff = self.effects.get(name)
            if problem is not None and eff is not None and eff.only_indexed and node.id in unfolded:
                problem = None
            if problem is not None and eff is not None and eff.only_refs:
                args = call_args(self.src, node)
                rows = handed_rows(node, eff, facts)
                if all(p < len(args) and (own_object(args[p], facts.declared, symbols, p in eff.pointer_writes)
                                          or p in rows) for p in eff.ref_writes):
                    problem = None  # it writes only variables of this iteration, handed over by reference
                    facts.mem += [replace(m, write=True) for m in rows.values()]  # and rows it is handed
            if problem is None and eff is not None:
                args = node.child_by_field_name("arguments")
                # every name in an argument (a + i reads a); a scalar passed by value cannot be read later
                passed = {n for a in (args.named_children if args is not None else []) for n in self._handed(a)}
                passed -= unfolded.get(node.id, set()) | {n for n in facts.declared if (d := symbols.get(n)) is not None
                                                          and (d.kind in ("array", "container") or d.fresh)}
                pointers = {n for n in facts.writes() if n not in symbols or symbols[n].is_memory}
                clash = (passed & (written_mem | pointers)) | (eff.reads_globals & (written_mem | facts.writes()))
                if clash:
                    problem = f"{name} reads {min(clash)}, which the loop writes"
            if problem:
                issues.append(("unknown", problem))
                if eff is not None and eff.only_deep:
                    out.reach.append(problem)
        for obj, method, node in facts.methods:  # a member function reading only: as a pure call
            args = node.child_by_field_name("arguments")
            passed = {n for a in (args.named_children if args is not None else []) for n in self._handed(a)}
            if problem := self.members.method_problem(node, obj, method, self.effects, facts, symbols, passed):
                issues.append(("unknown", problem))
        if loop.kind == "range":
            range_issues(self.src, self.program, loop, facts, symbols, issues)
        out.scalars = classify(self.src, loop, facts, symbols,
                               self.live_after(loop, facts.writes() - facts.declared))
        for sc in out.scalars:
            if sc.role in ("carried", "unknown"):
                issues.append(("serial" if sc.role == "carried" else "unknown", sc.reason))
        env = self.env(loop, facts)
        updates = update_arrays(self.src, facts, {lp.index for lp in [loop, *loop.descendants()] if lp.index},
                                loop, symbols)
        memory = MemoryAnalysis(self.src, loop, facts, symbols, env, self.distinct(loop),
                                function_invariants(self.src, loop.fn_node, symbols),
                                row_pointers(self.src, loop, facts, symbols, env), set(updates), self.members.by_value)
        out.memory = memory.run()
        self._array_reductions(out, updates, symbols)
        others = list(issues)
        if out.memory.status != "independent":
            issues.append(("serial" if out.memory.status == "dependent" else "unknown", out.memory.reason))
        self._conclude(out)
        self._unproven(out, memory, updates, symbols)
        privatize(self, out, memory, others)
        return out

    def _element_accesses(self, call: ts.Node, eff: Effects | None, facts: BodyFacts,
                          symbols: dict[str, Decl]) -> set[str] | None:
        """The element accesses a call makes through the arrays it is handed (Effects.indexed), added to
        facts.mem as if written at the call (`seed[x]` for randn(seed, x)); the names of those arrays, or None when
        the call has no such summary or its arguments are not plain names (nothing is added then)."""
        args = call.child_by_field_name("arguments")
        if eff is None or not eff.indexed or args is None:
            return None
        argv = args.named_children
        used = {p for p, _, _ in eff.indexed} | {q for _, subs, _ in eff.indexed for q in subs}
        if any(i >= len(argv) for i in used):
            return None
        arrays = {p for p, _, _ in eff.indexed}
        for p in arrays:
            if argv[p].type != "identifier" or symbols.get(self.src.text_of(argv[p])) is None:
                return None
            if not symbols[self.src.text_of(argv[p])].is_memory:
                return None
        inner = facts.call_loops.get(call.id, ())
        for p, subs, write in eff.indexed:
            facts.mem.append(MemAccess(self.src.text_of(argv[p]), [argv[q] for q in subs], write, call, inner))
        # the arrays read only at the handed subscripts are no longer read whole
        whole = {p for p in eff.reads_args if p not in arrays}
        return {self.src.text_of(argv[p]) for p in arrays if p not in whole}

    def _array_reductions(self, out: LoopFacts, updates: dict[str, list], symbols: dict[str, Decl]) -> None:
        """A clause for each histogram-style array; atomic updates when its size is not known."""
        writes = written_names(self.src, out.loop.fn_node)
        for name in out.memory.arrays if out.memory else []:
            decl = symbols.get(name)
            if not self._reducible_whole(out, name, decl):  # plen[t][k]++: the clause would reduce the pointers
                out.atomics += updates[name]
                out.issues.append(("atomic", f"{name}[...][...] is updated from every iteration through a table of "
                                             "pointers: an array reduction over rows (atomic updates are proposed "
                                             "instead)"))
                continue
            section = affine_section(self.src, out.body, out.loop, name, symbols) if out.body else None
            if section:  # s[j] += in a j loop: the section the inner loops sweep
                out.array_clauses.append(f"reduction(+:{section})")
                continue
            size = section_size(self.src, name, decl, writes)
            if size is None and decl is not None and decl.scope == "param" and self.program is not None:
                count = self.program.param_size(self.src, out.loop.fn_node, name)
                size = str(count) if count else None
            clause = reduction_clause(name, decl, size)
            if clause:
                out.array_clauses.append(clause)
            else:
                out.atomics += updates[name]
                why = (f"{name}[...] is updated from every iteration: an array reduction whose size is not known "
                       "here (atomic updates are proposed instead)")
                out.issues.append(("atomic", why))

    @staticmethod
    def _reducible_whole(out: LoopFacts, name: str, decl: Decl | None) -> bool:
        """A reduction clause on name covers the updated elements: each update subscripts name exactly as deep as
        its declared dimensions (one level for a pointer). `double *rows[4]` or `int **p` updated at `p[t][k]` hold
        pointers at that level: the elements are one level further, which no clause on name privatizes."""
        depth = max(1, len(decl.dims)) if decl is not None and decl.kind == "array" else 1
        accesses = [m for m in (out.body.mem if out.body else []) if root_name(m.base) == name]
        return all(m.via == "subscript" and len(m.subscripts) == depth for m in accesses)

    def _handed(self, node: ts.Node) -> set[str]:
        """Names whose storage a call argument hands over (a, a + i, &a[i]); elements (a[i]) go by value."""
        if node.type == "identifier":
            return {self.src.text_of(node)}
        if node.type == "pointer_expression" and self.src.text_of(node).startswith("&"):
            return {self.src.text_of(n) for n in walk(node) if n.type == "identifier"}
        if node.type in ("subscript_expression", "field_expression", "pointer_expression", "call_expression"):
            return set()
        return {name for child in node.named_children for name in self._handed(child)}

    def _conclude(self, out: LoopFacts) -> None:
        serial = [text for kind, text in out.issues if kind == "serial"]
        unknown = [text for kind, text in out.issues if kind == "unknown"]
        atomic = [text for kind, text in out.issues if kind == "atomic"]
        if serial or unknown:
            out.verdict = "serial" if serial else "unknown"
            out.reason = (serial or unknown)[0]
            out.atomics = []
            return
        out.clauses = self._clauses(out)
        reductions = [c for c in out.clauses if c.startswith("reduction")]
        out.verdict = "reduction" if reductions else "parallel"
        if atomic:  # parallel only with the atomic updates: the clauses are kept for that candidate
            out.verdict, out.reason = "unknown", atomic[0]
            return
        names = ", ".join(c[c.index(":") + 1:-1].split("[")[0] for c in reductions)
        out.reason = (f"reduction on {names}; " if reductions else "") + (
            out.memory.reason if out.memory else "no dependences")

    def _clauses(self, out: LoopFacts) -> list[str]:
        """The data-sharing clauses of a loop with no obstacle: reductions first, private, lastprivate."""
        clauses = [sc.clause for sc in out.scalars if sc.clause] + out.array_clauses
        loop = out.loop
        if (loop.index and not loop.index_declared and loop.kind == "for"
                and loop.index in self.live_after(loop, {loop.index})):
            clauses.append(f"lastprivate({loop.index})")
        return sorted(clauses, key=lambda c: (not c.startswith("reduction"), c))

    def _unproven(self, out: LoopFacts, memory: MemoryAnalysis, updates: dict[str, list],
                  symbols: dict[str, Decl]) -> None:
        """Clauses for an unknown loop whose one obstacle is a possible dependence or aliasing between accesses.

        Any other issue (a definite dependence, a call or method of unknown effect, a scalar of unknown role, an
        array reduction that needs atomics) rules it out. The accesses are tested again as if no two names could
        alias: a definite dependence there (a[i + 1] = a[i] beside a may-alias pair) rules it out too, as does a
        pointer that changes inside the loop (nothing could be tested). Every additive update is tested as such
        there: one at a subscript the loop cannot predict (`len[k]++`, k from a call) is a histogram, whose array
        gets its reduction clause or atomic updates exactly as in a proven loop, never a plain pragma.
        """
        mem = out.memory
        rest = [i for i in out.issues if i[1] not in out.reach]
        if out.verdict != "unknown" or mem is None or rest != ([("unknown", mem.reason)] if mem.status == "possible"
                                                                else []) or (mem.status != "possible" and not out.reach):
            return
        if mem.status != "possible":  # the calls alone: the loop's own accesses are independent
            out.unproven_clauses, out.obstacle = self._clauses(out), "; ".join(out.reach)
            return
        apart = copy.copy(memory)
        apart.apart = True
        apart.updates = set(updates)
        alone = apart.run()
        if alone.status == "dependent" or (alone.status == "possible" and not alone.pairs):
            return
        trial = copy.copy(out)
        fresh = [a for a in alone.arrays if a not in mem.arrays]  # mem.arrays already have their clauses
        trial.memory = replace(alone, arrays=fresh)
        trial.array_clauses, trial.atomics, trial.issues = list(out.array_clauses), [], []
        self._array_reductions(trial, updates, symbols)
        out.unproven_clauses, out.obstacle = self._clauses(trial), "; ".join([mem.reason, *out.reach])
        out.unproven_atomics = trial.atomics

    def analyze_all(self) -> list[LoopFacts]:
        out = []
        for loop in self.loops:
            try:
                out.append(self.analyze(loop))
            except (ValueError, KeyError, IndexError, AttributeError, TypeError, RecursionError) as exc:
                # odd syntax (unexpanded macros, parse errors) must cost one loop, never the whole file
                out.append(LoopFacts(loop, "unknown", f"analysis failed on this loop ({type(exc).__name__})"))
        return out
