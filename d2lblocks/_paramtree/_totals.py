"""Subtree sums that count every tensor once, in time linear in the size of the model.

A tensor reached by one path only is simply added up the tree. A tensor reached
by several paths (tied weights, a module registered twice) is carried up by
identity instead, and counted once wherever its paths meet.
"""
from __future__ import annotations

from ._model import TensorInfo


class Totals:
    """Parameter counts, bytes and buffer bytes of one subtree, before or after resolving shared tensors."""

    __slots__ = ("params", "unregistered", "buffer_bytes", "param_tensors", "trainable", "param_bytes", "shared")

    def __init__(self) -> None:
        self.params = self.unregistered = self.buffer_bytes = self.param_tensors = self.trainable = 0
        self.param_bytes: dict[str, int] = {}
        self.shared: dict[int, TensorInfo] = {}

    def add(self, info: TensorInfo) -> None:
        if not info.shared_paths:
            self._count(info)
        elif self.shared.get(info.key) is None or info.role == "parameter":
            self.shared[info.key] = info  # a registered occurrence wins: PyTorch does see that tensor

    def merge(self, other: "Totals") -> None:
        self.params += other.params
        self.unregistered += other.unregistered
        self.buffer_bytes += other.buffer_bytes
        self.param_tensors += other.param_tensors
        self.trainable += other.trainable
        for dtype, nbytes in other.param_bytes.items():
            self.param_bytes[dtype] = self.param_bytes.get(dtype, 0) + nbytes
        for info in other.shared.values():
            self.add(info)

    def resolved(self) -> "Totals":
        """The sums with each shared tensor counted once."""
        if not self.shared:
            return self
        out = Totals()
        out.merge(self)
        for info in out.shared.values():
            out._count(info)
        out.shared = {}
        return out

    def _count(self, info: TensorInfo) -> None:
        if info.role == "parameter":
            self.params += info.numel
            self.param_tensors += 1
            self.trainable += info.requires_grad
            self.param_bytes[info.dtype] = self.param_bytes.get(info.dtype, 0) + info.nbytes
        elif info.role == "buffer":
            self.buffer_bytes += info.nbytes
        elif "constant" not in info.badges:  # an nn.Parameter PyTorch cannot see
            self.unregistered += info.numel
