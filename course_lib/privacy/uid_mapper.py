"""Consistent replacement of DICOM UIDs, action ``U`` of the Basic Profile (chapter 11a).

A de-identified study must stay a study: every file that carried the same Study,
Series, SOP Instance or Frame of Reference UID must carry the same *new* UID, and a
reference (Referenced SOP Instance UID) must point to the new UID of the instance
it referred to. :class:`UidMapper` keeps that one-to-one map across all the files
of a de-identification run.

New UIDs use the ``2.25`` root, which PS3.5 Annex B.2 reserves for UIDs derived
from a UUID: ``2.25.<the UUID as one decimal integer>`` (at most 44 characters,
well under the 64 allowed). Each new UID is a name-based UUID (RFC 4122 version 5)
of the old UID under a secret namespace drawn at random when the mapper is made,
so the map is reproducible within a run (and across runs if you keep the
namespace) but cannot be recomputed from the old UID by anyone without it.

References
----------
DICOM PS3.5 2026d, Annex B.2 "UUID Derived UID".
Leach, Mealling & Salz (2005). RFC 4122, A Universally Unique IDentifier (UUID)
URN Namespace. doi:10.17487/RFC4122
"""

from __future__ import annotations

import uuid
from typing import Mapping

__all__ = ["UidMapper"]

_UUID_ROOT = "2.25."


class UidMapper:
    """Map original UIDs to new ``2.25`` UIDs, the same input always to the same output.

    Parameters
    ----------
    namespace : uuid.UUID, optional
        Secret namespace of the name-based UUIDs. Default: a fresh random UUID, so
        two mappers never produce the same new UIDs. Pass the same namespace to
        reproduce a previous run (keep it as secret as the original data).

    Examples
    --------
    >>> mapper = UidMapper()
    >>> new = mapper("1.2.840.113619.2.1.1")
    >>> new.startswith("2.25.") and mapper("1.2.840.113619.2.1.1") == new
    True
    """

    def __init__(self, namespace: uuid.UUID | None = None) -> None:
        if namespace is not None and not isinstance(namespace, uuid.UUID):
            raise TypeError(
                f"namespace must be a uuid.UUID, got {type(namespace).__name__}; "
                "use uuid.UUID('...') or leave it None for a random one"
            )
        self._namespace = namespace if namespace is not None else uuid.uuid4()
        self._map: dict[str, str] = {}
        self._issued: set[str] = set()

    @property
    def namespace(self) -> uuid.UUID:
        """The secret namespace (keep it to reproduce the same map later)."""
        return self._namespace

    def __call__(self, uid: str) -> str:
        """Return the new UID for ``uid`` (created on first use, then remembered).

        Parameters
        ----------
        uid : str
            Original UID (surrounding spaces and the NUL padding byte are ignored).

        Returns
        -------
        str
            ``"2.25.<decimal UUID>"``; an empty input is returned unchanged.
        """
        key = str(uid).strip().rstrip("\x00")
        if not key:
            return key
        if key in self._issued:
            return key  # already one of ours: mapping twice must be a no-op
        if key not in self._map:
            new = _UUID_ROOT + str(uuid.uuid5(self._namespace, key).int)
            self._map[key] = new
            self._issued.add(new)
        return self._map[key]

    def __contains__(self, uid: object) -> bool:
        return str(uid).strip().rstrip("\x00") in self._map

    def __len__(self) -> int:
        return len(self._map)

    def as_dict(self) -> Mapping[str, str]:
        """A copy of the map ``{original UID: new UID}`` (it re-identifies: keep it private)."""
        return dict(self._map)
