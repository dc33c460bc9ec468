"""Plain-dict (de)serialisation of the dataclass records: what checkpoints, the transcript and summary.json hold."""

from __future__ import annotations

from dataclasses import asdict, fields, is_dataclass
from typing import Any, ClassVar


class Record:
    """Mixin for dataclasses: to_dict / from_dict (unknown keys ignored, nested records rebuilt from `_nested`).

    `_omit_none = True` leaves fields that are None out of to_dict (a timing that failed has no median).
    """

    _nested: ClassVar[dict[str, type]] = {}
    _omit_none: ClassVar[bool] = False

    def to_dict(self) -> dict[str, Any]:
        out = {}
        for f in fields(self):  # type: ignore[arg-type]
            value = getattr(self, f.name)
            if value is None and self._omit_none:
                continue
            out[f.name] = _plain(value)
        return out

    @classmethod
    def from_dict(cls, data: Any):
        """Rebuild from a dict (an instance passes through; None stays None)."""
        if data is None or isinstance(data, cls):
            return data
        names = {f.name for f in fields(cls)}  # type: ignore[arg-type]
        kwargs = {k: v for k, v in data.items() if k in names}
        for name, sub in cls._nested.items():
            value = kwargs.get(name)
            if value is not None:
                kwargs[name] = [_build(sub, v) for v in value] if isinstance(value, list) else _build(sub, value)
        return cls(**kwargs)


def _plain(value: Any) -> Any:
    """A record, list, dict or dataclass as plain JSON-able values."""
    if isinstance(value, Record):
        return value.to_dict()
    if is_dataclass(value) and not isinstance(value, type):
        return asdict(value)
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


def _build(cls: type, value: Any) -> Any:
    if isinstance(value, cls):
        return value
    if hasattr(cls, "from_dict"):
        return cls.from_dict(value)
    names = {f.name for f in fields(cls)}
    return cls(**{k: v for k, v in value.items() if k in names})
