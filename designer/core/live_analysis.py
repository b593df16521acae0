"""The analysis of one graph kept up to date edit by edit (the same report as a whole
:func:`~designer.core.analysis.analyze`, in milliseconds on 10,000 layers). No Qt."""

from __future__ import annotations

import heapq

import networkx as nx

from designer.core import diagnostics
from designer.core.analysis import (
    _analyse_all,
    _by_node,
    _combined,
    _evaluate,
    _network_order,
    _outputs,
    _Parts,
    _tail_order,
    _trim,
    layer_cache,
)
from designer.core.graph import EventKind, GraphEvent, LayerGraph
from designer.core.report import NodeInfo, Report


class _OutOfStep(Exception):
    """The events noted do not match the graph (some were missed): analyse everything."""


class LiveAnalysis:
    """The analysis of one graph, brought up to date after edits by analysing again only what
    they can have changed; each :meth:`update` gives the very report :func:`analyze` would.

    Tell it every event of the graph (:meth:`note`; ``graph.observe(live.note)`` does). An
    update evaluates the edited layers and, in network order, those downstream of them, going
    on past a layer only while its outputs (shapes, dtypes, labels) differ from before; checks
    the warnings of the edited layers and of their neighbours, and the issues about the
    network's inputs and outputs. What no edit reached is taken over from the report before,
    object for object; the report says which layers' infos changed (``changed``, ``since``).
    The network order is kept too: edits that leave the links alone, layers added last that
    feed no older layer and layers removed that fed none leave it as it was, or extend it.
    """

    def __init__(self, graph: LayerGraph) -> None:
        self.graph = graph
        self.report: Report | None = None
        self.visited: list[str] = []  # layers the last update evaluated, in order
        self.full_runs = 0  # whole analyses so far (the first, cycles, events out of step)
        self._parts: _Parts | None = None
        self._rank: dict[str, int] = {}  # place in a network order, for evaluating in order
        self._next_rank = 0
        self._clear()

    def _clear(self) -> None:
        self._resync = False  # an event of a kind not known here: analyse everything
        self._seeds: set[str] = set()  # layers to evaluate again
        self._touched: set[str] = set()  # layers whose warnings to check again
        self._renamed: set[str] = set()  # (their successors' messages name them)
        self._retyped: set[str] = set()  # type or parameters changed: neighbours' warnings
        self._replaced = False  # a layer's type changed (an Input may be one no more)
        self._added: set[str] = set()
        self._removed: set[str] = set()
        self._links: dict[tuple[str, str, int, int], int] = {}  # +1 added, -1 removed (net)
        self._outputs_moved = False

    def note(self, event: GraphEvent) -> None:
        """Record one change of the graph (an event comes after its change)."""
        kind, nid, data = event.kind, event.node, event.data
        if kind in (EventKind.MOVED, EventKind.WEIGHTS):
            return
        if kind == EventKind.OUTPUTS:
            self._outputs_moved = True
            return
        if nid is None:
            self._resync = True
            return
        self._touched.add(nid)
        if kind == EventKind.ADDED:
            self._added.add(nid)
            self._seeds.add(nid)
        elif kind == EventKind.REMOVED:
            self._removed.add(nid)
        elif kind in (EventKind.CONNECTED, EventKind.DISCONNECTED):
            key = (data["src"], nid, data["port"], data["src_port"])
            net = self._links.get(key, 0) + (1 if kind == EventKind.CONNECTED else -1)
            if net:
                self._links[key] = net
            else:
                del self._links[key]
            self._seeds.add(nid)
            self._touched.add(data["src"])
        elif kind in (EventKind.PARAMS, EventKind.REPLACED):
            self._seeds.add(nid)
            self._retyped.add(nid)
            self._replaced = self._replaced or kind == EventKind.REPLACED
        elif kind == EventKind.RENAMED:
            self._seeds.add(nid)
            self._renamed.add(nid)
        elif kind in (EventKind.TRAINABLE, EventKind.LR_FACTORS):
            self._seeds.add(nid)
        else:
            self._resync = True

    def refresh(self) -> Report:
        """Analyse the whole graph afresh (the report still says which infos changed)."""
        before = self.report
        parts = _analyse_all(self.graph)
        self.full_runs += 1
        self.visited = [] if parts.cyclic else list(parts.report.order)
        self._parts = parts
        self._rank = {nid: i for i, nid in enumerate(parts.report.order)}
        self._next_rank = len(self._rank)
        self._clear()
        report = parts.report
        if before is not None:  # equal infos: the objects of the report before, as updates do
            old, new = before.nodes, report.nodes
            changed = {nid for nid in old if nid not in new}
            for nid, info in new.items():
                previous = old.get(nid)
                if previous == info:
                    new[nid] = previous
                else:
                    changed.add(nid)
            report.changed, report.since = frozenset(changed), before.serial
        self.report = report
        return report

    def update(self) -> Report:
        """The report of the graph as it is now, from the last one and the changes noted."""
        parts, before = self._parts, self.report
        if parts is None or before is None or parts.cyclic or self._resync:
            return self.refresh()
        try:
            report = self._update(parts, before)
        except (_OutOfStep, KeyError, nx.NetworkXUnfeasible):
            return self.refresh()
        self._clear()
        self.report = parts.report = report
        return report

    def _update(self, parts: _Parts, before: Report) -> Report:
        graph = self.graph
        present = graph.__contains__
        own = parts.own
        added = {nid for nid in self._added if present(nid)}
        removed = {nid for nid in self._removed | added if nid in own}  # re-added ones too
        gone = {nid for nid in removed if not present(nid)}
        if any(present(nid) and nid not in own and nid not in added for nid in self._seeds):
            raise _OutOfStep
        structure = bool(added or removed)
        nodes, appended = self._nodes(parts, added, removed) if structure else (parts.nodes, True)
        order = self._order(before.order, nodes, added, removed)
        for nid in gone:
            del own[nid]
            parts.holders.discard(nid)
        # the layers' own analysis: the edited ones, then downstream while outputs change
        visited, changed_own, issues_moved, recomputed = self._evaluate(own, parts.holders, added)
        # the network: its sinks, inputs and outputs, and the issues about them
        sinks, sinks_moved = parts.sinks, False
        for nid in {key[0] for key in self._links} | added | removed:
            sink = present(nid) and not graph.successors(nid)
            if sink != (nid in sinks):
                sinks_moved = True
                (sinks.add if sink else sinks.discard)(nid)
        inputs = graph.input_nodes() if structure or self._replaced else before.inputs
        outputs = (
            _outputs(graph, nodes, sinks)
            if structure or sinks_moved or self._outputs_moved
            else before.outputs
        )
        network = diagnostics.network_issues(graph, own, inputs, outputs)
        old_about, about = _by_node(parts.network), _by_node(network)
        # the warnings of the layers edited, evaluated or next to a changed one
        touched = self._touched | set(visited)
        for nid in self._retyped:
            if present(nid):
                touched.update(graph.predecessors(nid))
                touched.update(graph.successors(nid))
        warnings, changed_warnings = parts.warnings, set()
        for nid in gone:
            warnings.pop(nid, None)
        for nid in touched:
            if present(nid):
                found = diagnostics.node_warnings(graph, graph.node(nid), own)
                if found != warnings.get(nid, []):
                    changed_warnings.add(nid)
                    if found:
                        warnings[nid] = found
                    else:
                        del warnings[nid]
        # the report: a new info where anything about a layer changed, the others kept
        redo = changed_own | changed_warnings | added
        redo.update(n for n in old_about.keys() | about.keys() if old_about.get(n) != about.get(n))
        old_infos, fresh = before.nodes, {}
        for nid in redo:
            if present(nid):
                info = _combined(own[nid], about.get(nid), warnings.get(nid))
                previous = None if nid in added else old_infos.get(nid)
                if previous is None or previous != info:
                    fresh[nid] = info
        if structure and not appended:
            infos = {nid: fresh[nid] if nid in fresh else old_infos[nid] for nid in nodes}
        else:  # the same order, less the layers removed, plus those added last
            infos = dict(old_infos)
            for nid in removed:
                del infos[nid]
            for nid in nodes[len(nodes) - len(added) :] if added else ():
                infos[nid] = fresh[nid]
            infos.update(fresh)
        if structure or issues_moved or changed_warnings or network != parts.network:
            place = parts.place.__getitem__
            issues = [i for n in sorted(parts.holders, key=place) for i in own[n].issues]
            issues.extend(network)
            issues.extend(i for n in sorted(warnings, key=place) for i in warnings[n])
        else:
            issues = before.issues
        trainable, non_trainable = before._sums()
        for nid in fresh.keys() | gone:
            if nid in old_infos:
                trainable -= old_infos[nid].trainable
                non_trainable -= old_infos[nid].non_trainable
            if nid in infos:
                trainable += infos[nid].trainable
                non_trainable += infos[nid].non_trainable
        _trim(layer_cache(graph), len(graph))
        self.visited = visited
        parts.nodes, parts.network = nodes, network
        return Report(
            infos,
            issues,
            inputs,
            outputs,
            recomputed,
            order,
            changed=frozenset(fresh.keys() | gone),
            since=before.serial,
            _totals=(trainable, non_trainable),
        )

    def _nodes(self, parts: _Parts, added: set[str], removed: set[str]) -> tuple[list[str], bool]:
        """The node order after layers were added and removed, and whether it is the one
        before less those removed plus those added, last (``place`` follows it)."""
        listed = self.graph.nodes
        tail = [n.id for n in listed[len(listed) - len(added) :]] if added else []
        place = parts.place
        if set(tail) != added:  # put back in the middle (an undone removal)
            nodes = [n.id for n in listed]
            parts.place = {nid: i for i, nid in enumerate(nodes)}
            parts.next_place = len(nodes)
            return nodes, False
        kept = [nid for nid in parts.nodes if nid not in removed] if removed else parts.nodes
        for nid in removed:
            del place[nid]
        for nid in tail:
            place[nid] = parts.next_place
            parts.next_place += 1
        return kept + tail, True

    def _order(
        self, before: list[str], nodes: list[str], added: set[str], removed: set[str]
    ) -> list[str]:
        """The network order after the structural changes noted, kept in step with the
        ranks; kept or extended where that gives what ``topological_order`` would."""
        if not (added or removed or self._links):
            return before
        tail = nodes[len(nodes) - len(added) :] if added else []
        simple = set(tail) == added and all(
            (dst in added) if net > 0 else (dst in removed)
            for (_src, dst, _port, _sp), net in self._links.items()
        )
        new = _tail_order(self.graph, tail) if simple else None
        if new is None:
            order = _network_order(self.graph, nodes)  # raises NetworkXUnfeasible on a cycle
            self._rank = {nid: i for i, nid in enumerate(order)}
            self._next_rank = len(order)
            return order
        for nid in removed:
            del self._rank[nid]
        for nid in new:
            self._rank[nid] = self._next_rank
            self._next_rank += 1
        kept = [nid for nid in before if nid not in removed] if removed else list(before)
        return kept + new

    def _evaluate(
        self, own: dict[str, NodeInfo], holders: set[str], added: set[str]
    ) -> tuple[list[str], set[str], bool, int]:
        """Evaluate the layers noted and, in network order, those whose inputs changed:
        (the layers evaluated, those whose info changed, whether their issues did, cache
        misses); ``holders`` follows which layers have issues of their own."""
        graph, rank, cache = self.graph, self._rank, layer_cache(self.graph)
        seeds = {nid for nid in self._seeds if nid in graph}
        for nid in self._renamed:
            if nid in graph:
                seeds.update(graph.successors(nid))
        heap = [(rank[nid], nid) for nid in seeds]
        heapq.heapify(heap)
        visited: list[str] = []
        done: set[str] = set()
        changed: set[str] = set()
        issues_moved, recomputed = False, 0
        while heap:
            _, nid = heapq.heappop(heap)
            if nid in done:
                continue
            done.add(nid)
            visited.append(nid)
            old = None if nid in added else own[nid]
            info, missed, _links = _evaluate(graph, graph.node(nid), own, cache)
            recomputed += missed
            own[nid] = info
            (holders.add if info.issues else holders.discard)(nid)
            if old is not None and info == old:
                continue
            changed.add(nid)
            issues_moved = issues_moved or old is None or info.issues != old.issues
            if old is None or (info.shapes, info.dtypes, info.labels) != (
                old.shapes,
                old.dtypes,
                old.labels,
            ):
                for succ in graph.successors(nid):
                    if succ not in done:
                        heapq.heappush(heap, (rank[succ], succ))
        return visited, changed, issues_moved, recomputed
