"""What a de-identification did to one DICOM dataset, and what it could not check (chapter 11a).

:func:`course_lib.privacy.deidentify` returns a :class:`DeidentificationReport` beside
the cleaned dataset: every action applied (with the Table E.1-1 row behind it), the
risks the header rules cannot remove (text burned into the pixels, overlay planes)
and the warnings a human reviewer must read before the data leave the hospital.
"""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["AppliedAction", "DeidentificationReport"]


@dataclass(frozen=True)
class AppliedAction:
    """One element changed by the de-identifier.

    Attributes
    ----------
    path : str
        Where the element sits, e.g. ``"ReferencedImageSequence[0]."`` ("" at top level).
    tag : str
        ``"(gggg,eeee)"`` of the element.
    name : str
        Attribute name (Table E.1-1 name, or "Private Attributes").
    rule : str
        Basic Profile action of the row (``"X/Z/D"``, ``"U"``, ...).
    applied : str
        What was done: ``"X"`` removed, ``"Z"`` emptied, ``"D"`` dummy value,
        ``"U"`` UID replaced, ``"U*"`` sequence kept with its UIDs replaced,
        ``"shift"`` date moved by the patient's offset, ``"keep"`` (only for
        private attributes kept on request).
    """

    path: str
    tag: str
    name: str
    rule: str
    applied: str


@dataclass
class DeidentificationReport:
    """Summary of one call of :func:`course_lib.privacy.deidentify`.

    Attributes
    ----------
    actions : list of AppliedAction
        Every element removed, emptied or replaced, in dataset order.
    warnings : list of str
        Human-readable risks (burned-in text, overlays, kept private tags, ...).
    burned_in_annotation : str
        The original Burned In Annotation (0028,0301): ``"YES"``, ``"NO"`` or
        ``"missing"``.
    burned_in_risk : bool
        True when the pixels may show identifying text: the attribute is ``"YES"``,
        or it is missing on a dataset that holds pixel data. Header rules cannot fix
        this; the Clean Pixel Data option (113101) would be needed.
    overlay_groups : list of int
        Overlay repeating groups (0x6000-0x601E) found in the original.
    private_removed : int
        Number of private elements (odd groups, creators included) removed.
    uids_replaced : int
        Number of UID values replaced (each value of a multi-valued element counts).
    date_shift_days : int or None
        Offset applied to the dates of the Modified Dates option, or None.
    """

    actions: list[AppliedAction] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    burned_in_annotation: str = "missing"
    burned_in_risk: bool = False
    overlay_groups: list[int] = field(default_factory=list)
    private_removed: int = 0
    uids_replaced: int = 0
    date_shift_days: int | None = None

    def count(self, applied: str) -> int:
        """Number of actions of one kind (``"X"``, ``"Z"``, ``"D"``, ``"U"``, ``"shift"``...)."""
        return sum(1 for action in self.actions if action.applied == applied)

    def summary(self) -> str:
        """A few lines for a notebook: counts per action, flags and warnings."""
        kinds = ("X", "Z", "D", "U", "U*", "shift", "keep")
        counts = ", ".join(f"{kind}={self.count(kind)}" for kind in kinds if self.count(kind))
        lines = [
            f"actions: {counts or 'none'}",
            f"private elements removed: {self.private_removed}",
            f"UID values replaced: {self.uids_replaced}",
            f"Burned In Annotation: {self.burned_in_annotation}"
            f" (pixel text risk: {'YES' if self.burned_in_risk else 'no'})",
        ]
        if self.overlay_groups:
            groups = ", ".join(f"{group:04X}" for group in self.overlay_groups)
            lines.append(f"overlay groups: {groups}")
        if self.date_shift_days is not None:
            lines.append(f"dates shifted by {self.date_shift_days} days")
        lines += [f"WARNING: {warning}" for warning in self.warnings]
        return "\n".join(lines)
