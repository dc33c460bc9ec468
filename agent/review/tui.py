"""`hpcagent review RUN`: a terminal UI (textual) to step through a run, and to follow one in progress.

Left, the steps (phase, loop, attempt, verdict; coloured by outcome); right, the selected step's evidence.
Keys: n / p next and previous step, v next verdict, f next failure, l next loop, g / G first and last, q quit.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import ClassVar

from rich.console import Console, Group, RenderableType
from rich.panel import Panel
from rich.syntax import Syntax
from rich.text import Text
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Footer, Header, Label, ListItem, ListView, Static

from hpcagent.agent.review.steps import RunView, Section, Step, timing_text

COLOURS = {"accepted": "green", "failed": "red", "slower": "yellow", "info": "white"}
MARKS = {"accepted": "+", "failed": "x", "slower": "~", "info": " "}


def lexer_for(file: str) -> str:
    return "c" if file.endswith((".c", ".h")) else "cpp"


def render_section(section: Section) -> RenderableType:
    """One section of a step's detail as a rich renderable."""
    title = Text(section.title, style="bold")
    body = section.body
    if section.kind == "diff":
        inner: RenderableType = Syntax(body, "diff", theme="ansi_dark", word_wrap=True)
    elif section.kind == "race":
        parts: list[RenderableType] = [Text(body.get("summary") or "", style="italic")]
        for name in ("first", "second"):
            ctx = body.get(name)
            if not ctx or not ctx["lines"]:
                continue
            parts.append(Text(f"{name} access: {ctx['file']}:{ctx['line']}", style="bold magenta"))
            parts.append(Syntax("\n".join(ctx["lines"]), lexer_for(ctx["file"]), theme="ansi_dark",
                                line_numbers=True, start_line=ctx["start"], highlight_lines={ctx["line"]}))
        inner = Group(*parts)
    elif section.kind == "timing":
        inner = Text(timing_text(body))
    elif section.kind == "messages":
        inner = Group(*(Panel(Text(str(m.get("content", ""))), title=m.get("role", "?"), title_align="left")
                        for m in body))
    elif section.kind == "profile":
        funcs = sorted(body["functions"].items(), key=lambda kv: -kv[1])[:12]
        inner = Text("\n".join(f"{'#' * max(1, round(share * 40)):<40} {share:6.1%}  {name}" for name, share in funcs))
    else:
        inner = Text(str(body))
    return Panel(inner, title=title, title_align="left", border_style="grey50")


def render_step(step: Step) -> RenderableType:
    head = Text(f"step {step.index + 1}: {step.title}", style=f"bold {COLOURS.get(step.outcome, 'white')}")
    meta = Text(f"phase {step.phase}" + (f" · loop {step.loop}" if step.loop else "")
                + (f" · attempt {step.attempt}" if step.attempt else "") + f" · event {step.seq} ({step.kind})",
                style="dim")
    return Group(head, meta, *(render_section(s) for s in step.sections))


def plain(renderable: RenderableType, width: int = 100) -> str:
    """A renderable as the plain text the detail pane shows (for tests and for copying)."""
    console = Console(width=width, file=io.StringIO(), color_system=None, record=True)
    console.print(renderable)
    return console.export_text()


class StepItem(ListItem):
    def __init__(self, step: Step):
        mark = MARKS.get(step.outcome, " ")
        super().__init__(Label(Text(f"{mark} {step.title}", style=COLOURS.get(step.outcome, "white"))))
        self.step = step


class ReviewApp(App):
    """Step through one run folder."""

    CSS = """
    #steps { width: 45%; border-right: solid $primary; }
    #detail { width: 55%; padding: 0 1; }
    """
    BINDINGS: ClassVar[list[Binding]] = [
        Binding("n", "step(1)", "next"), Binding("p", "step(-1)", "previous"),
        Binding("v", "seek('verdict')", "next verdict"), Binding("f", "seek('failure')", "next failure"),
        Binding("l", "seek('loop')", "next loop"), Binding("g", "jump(0)", "first", show=False),
        Binding("G", "jump(-1)", "last", show=False), Binding("q", "quit", "quit"),
    ]

    def __init__(self, run_dir: Path, follow: bool = True, poll: float = 1.0):
        super().__init__()
        self.view = RunView(run_dir)
        self.follow = follow
        self.poll = poll
        self.detail_text = ""
        """The selected step's detail as plain text."""
        self.title = f"hpcagent review {self.view.dir.name}"
        self.sub_title = self.view.meta.get("repo", "")

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal():
            yield ListView(*(StepItem(s) for s in self.view.steps), id="steps")
            with VerticalScroll(id="detail"):
                yield Static(id="body")
        yield Footer()

    def on_mount(self) -> None:
        steps = self.query_one("#steps", ListView)
        if self.view.steps:
            steps.index = 0
            self.show(self.view.steps[0])
        steps.focus()
        if self.follow:
            self.set_interval(self.poll, self.refresh_run)

    @property
    def current(self) -> Step | None:
        index = self.query_one("#steps", ListView).index
        return self.view.steps[index] if index is not None and 0 <= index < len(self.view.steps) else None

    def show(self, step: Step) -> None:
        shown = render_step(step)
        self.detail_text = plain(shown)
        self.query_one("#body", Static).update(shown)
        self.query_one("#detail", VerticalScroll).scroll_home(animate=False)

    def on_list_view_highlighted(self, event: ListView.Highlighted) -> None:
        if isinstance(event.item, StepItem):
            self.show(event.item.step)

    def refresh_run(self) -> None:
        """Follow a run in progress: steps appended since are added to the list."""
        before = len(self.view.steps)
        if self.view.refresh():
            steps = self.query_one("#steps", ListView)
            for step in self.view.steps[before:]:
                steps.append(StepItem(step))

    def _select(self, index: int) -> None:
        if not self.view.steps:
            return
        index = max(0, min(index, len(self.view.steps) - 1))
        self.query_one("#steps", ListView).index = index
        self.show(self.view.steps[index])

    def action_step(self, delta: int) -> None:
        cur = self.current
        self._select((cur.index if cur else -1) + delta)

    def action_jump(self, index: int) -> None:
        self._select(index if index >= 0 else len(self.view.steps) - 1)

    def action_seek(self, what: str) -> None:
        cur = self.current
        start = cur.index + 1 if cur else 0
        for step in self.view.steps[start:]:
            if (what == "verdict" and step.is_verdict) or (what == "failure" and step.is_failure) or \
                    (what == "loop" and step.kind == "target" and (cur is None or step.loop != cur.loop)):
                self._select(step.index)
                return
        self.bell()
