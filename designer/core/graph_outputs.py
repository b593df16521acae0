"""The outputs of a LayerGraph, tensor by tensor: which layers' outputs the network gives
and in what order (an imported model's order, one output of a layer with several), kept
through removals and restores. A part of :class:`designer.core.graph.LayerGraph`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import networkx as nx

from designer.core.errors import EditValueError, UnknownNodeError
from designer.core.node import EventKind, Node, NodeRecord, whole_number
from designer.core.params import short_repr

OutputEntry = tuple[str, int | None]  # (node id, output index; None: every output)


class GraphOutputs:
    """The output bookkeeping of LayerGraph (which holds ``_outputs``, ``_nodes``, ``_g``)."""

    _outputs: list[OutputEntry]
    _nodes: dict[str, Node]
    _g: nx.MultiDiGraph

    if TYPE_CHECKING:

        def node(self, node_id: str) -> Node: ...

        def __contains__(self, node_id: object) -> bool: ...

        def _emit(self, kind: EventKind, node: str | None = None, **data: Any) -> None: ...

    @property
    def output_order(self) -> list[str]:
        """Node ids of the outputs whose order matters (an imported model's); see
        :meth:`set_output_order`."""
        return list(dict.fromkeys(nid for nid, _ in self._outputs))

    def output_tensors(self) -> list[OutputEntry]:
        """The network's outputs tensor by tensor, in order: (node id, output index) as
        recorded (an imported model's), then (node id, None), every output of a node, for the
        other outputs (:meth:`output_nodes`)."""
        recorded = [entry for entry in self._outputs if entry[0] in self._nodes]
        named = {nid for nid, _ in recorded}
        return recorded + [(nid, None) for nid in self.output_nodes() if nid not in named]

    def output_nodes(self) -> list[str]:
        """Ids of the network outputs: nodes whose output no other layer uses, plus those
        named in ``output_order`` (an imported model may output an inner tensor too)."""
        sinks = [nid for nid in self._nodes if self._g.out_degree(nid) == 0]
        ordered = [nid for nid in self.output_order if nid in self._nodes]
        return ordered + [nid for nid in sinks if nid not in ordered]

    def _outputs_with(self, records: list[NodeRecord]) -> list[list[Any]]:
        """The output entries with those of removed layers back in their places."""
        order = self.output_order
        for record in sorted(records, key=lambda r: r.output_index or 0):
            order.insert(record.output_index or 0, record.node.id)
        back = {r.node.id: r.output_ports or (None,) for r in records}
        entries = []
        for nid in order:
            ports = back[nid] if nid in back else [p for n, p in self._outputs if n == nid]
            entries += [[nid, port] for port in ports]
        return entries

    def set_output_order(self, order: list[Any] | tuple[Any, ...]) -> list[Any]:
        """Fix the order of the outputs: layer ids (each with the outputs recorded for it,
        else all its outputs) or [layer id, output index] pairs (one tensor each); returns
        the old order in the same terms (ids while no single output was chosen)."""
        entries = self._entries(order)
        old, self._outputs = self._plain_outputs(), entries
        self._emit(EventKind.OUTPUTS, None, old=old, new=self._plain_outputs())
        return old

    def _entries(self, order: Any) -> list[OutputEntry]:
        """Output entries for :meth:`set_output_order` (checked)."""
        if not isinstance(order, list | tuple):
            raise EditValueError(
                f"an output order expects a list of layer ids; received {short_repr(order)}"
            )
        entries: list[OutputEntry] = []
        for item in order:
            pair = isinstance(item, list | tuple) and len(item) == 2
            nid = item[0] if pair else item
            if nid not in self:
                raise UnknownNodeError(nid)
            if pair:
                port = item[1]
                if port is not None:
                    port = whole_number(port, f"an output of '{self.node(nid).name}'")
                entries.append((nid, port))
            elif all(n != nid for n, _ in entries):
                entries += [e for e in self._outputs if e[0] == nid] or [(nid, None)]
        return entries

    def _plain_outputs(self) -> list[Any]:
        """The output entries as plain data: ids, or [id, output index] pairs once an entry
        names one output (or names a layer twice)."""
        ids = self.output_order
        if self._outputs == [(nid, None) for nid in ids]:
            return ids
        return [[nid, port] for nid, port in self._outputs]
