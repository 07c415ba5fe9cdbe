"""qdiff's graph JSON (docs/case-file-format.md, "Graphs") <-> torch.fx.

Inputs become placeholders, constants get_attr nodes (tensors held by the
GraphModule), every other node a call_function on an fx_ops target. A
fused node's inline params become dicts whose scale and zero point are
get_attr nodes, as ExecuTorch's fused ops take them; writing back inlines
them again. qdiff names live in node.meta["qdiff_name"], constants' storage
names in node.meta["qdiff_dtype"] (torch 1.13 has no uint16).
"""

import torch
import torch.fx

import fx_ops as ops
from qdiff_process import json_f32, num

ARITY = {"quantize": 3, "dequantize": 3, "linear": 3, "conv2d": 3, "qlinear": 3, "qconv2d": 3, "add": 2, "mul": 2,
         "qadd": 2, "qmul": 2, "relu": 1, "reshape": 1}
TORCH_NAME = {torch.float32: "f32", torch.int8: "i8", torch.uint8: "u8", torch.int16: "i16", torch.int32: "i32"}
CONV_FIELDS = ("stride", "padding", "dilation", "groups")
PARAM_FIELDS = ("dtype", "quant_min", "quant_max", "zero_point_domain", "block_size")


def tensor_of(t):
    data = [num(v) for v in t["data"]] if t["dtype"] == "f32" else t["data"]
    return torch.tensor(data, dtype=ops.STORAGE[t["dtype"]]).reshape(t["shape"])


def json_tensor(t, dtype):
    data = [json_f32(v) for v in t.flatten().tolist()] if dtype == "f32" else [int(v) for v in t.flatten().tolist()]
    return {"dtype": dtype, "shape": list(t.shape), "data": data}


def add_constant(gm, graph, value, dtype=None, name=""):
    """A get_attr node holding `value` (dtype: its qdiff storage name)."""
    attr = "_c%d" % len(gm._constants)
    gm._constants.append(attr)
    gm.register_buffer(attr, value)
    node = graph.get_attr(attr)
    node.meta.update(qdiff_dtype=dtype or TORCH_NAME[value.dtype], qdiff_name=name)
    return node


def constant_value(node):
    """The tensor of a get_attr node, else None."""
    if isinstance(node, torch.fx.Node) and node.op == "get_attr":
        return getattr(node.graph.owning_module, node.target)
    return None


# --- JSON -> fx --------------------------------------------------------------

def spec_fields(n):
    p = {k: n.get(k) for k in ("dtype", "quant_min", "quant_max", "block_size")}
    p["zero_point_domain"] = n.get("zero_point_domain", "int")
    return p


def quant_node(graph, n, args):
    x, s, z = args
    p = spec_fields(n)
    quantize = n["kind"] == "quantize"
    if "axis" in n:  # the legacy per-channel form
        kwargs = {"zero_point_domain": p["zero_point_domain"], "block_size": p["block_size"]}
        if quantize:
            kwargs["contract"] = n.get("contract", "torchao")
        target = ops.quantize_per_channel if quantize else ops.dequantize_per_channel
        return graph.call_function(target, (x, s, z, n["axis"], p["quant_min"], p["quant_max"], p["dtype"]), kwargs)
    fields = (x, p["block_size"], s, z, p["dtype"], p["quant_min"], p["quant_max"], p["zero_point_domain"])
    if quantize:
        return graph.call_function(ops.quantize_affine, fields + (n.get("contract", "torchao"),))
    return graph.call_function(ops.dequantize_affine, fields)


def params_dict(gm, graph, p):
    d = {k: p.get(k) for k in PARAM_FIELDS}
    d["zero_point_domain"] = p.get("zero_point_domain", "int")
    d["scale"] = add_constant(gm, graph, tensor_of(p["scale"]), p["scale"]["dtype"])
    d["zero_point"] = add_constant(gm, graph, tensor_of(p["zero_point"]), p["zero_point"]["dtype"]) \
        if p.get("zero_point") else None
    return d


def activation_of(n):
    a = dict(n.get("activation", {"kind": "none"}))
    for k in ("lo", "hi"):
        if k in a:
            a[k] = num(a[k])
    return a


def fused_node(gm, graph, n, args):
    names = ("x_params", "w_params") if n["kind"] in ("qlinear", "qconv2d") else ("a_params", "b_params")
    params = [params_dict(gm, graph, n[k]) for k in names + ("out_params",)]
    extra = ({k: n[k] for k in CONV_FIELDS},) if n["kind"] == "qconv2d" else ()
    return graph.call_function(getattr(ops, n["kind"]), tuple(args) + tuple(params) + (activation_of(n),) + extra)


def build_node(gm, graph, n, nodes):
    kind = n["kind"]
    if kind == "input":
        node = graph.placeholder("x%d" % n["id"])
        node.meta.update(qdiff_dtype=n["dtype"], qdiff_shape=n["shape"])
        return node
    if kind == "constant":
        return add_constant(gm, graph, tensor_of(n["value"]), n["value"]["dtype"])
    inputs = list(n.get("inputs", [])) + [-1] * (ARITY[kind] - len(n.get("inputs", [])))
    args = [nodes[i] if i >= 0 else None for i in inputs]
    if kind in ("quantize", "dequantize"):
        return quant_node(graph, n, args)
    if kind in ("qlinear", "qconv2d", "qadd", "qmul"):
        return fused_node(gm, graph, n, args)
    if kind == "conv2d":
        return graph.call_function(ops.conv2d, tuple(args) + tuple(n[k] for k in CONV_FIELDS))
    if kind == "reshape":
        return graph.call_function(ops.view_copy, (args[0], list(n["shape"])))
    return graph.call_function(getattr(ops, kind), tuple(args))


def to_graph_module(g):
    """A GraphModule computing qdiff graph `g`; its output is the tuple of g's outputs."""
    gm = torch.fx.GraphModule(torch.nn.Module(), torch.fx.Graph())
    gm._constants = []
    graph = gm.graph
    nodes = []
    for n in g["nodes"]:
        node = build_node(gm, graph, n, nodes)
        node.meta["qdiff_name"] = n.get("name", "")
        nodes.append(node)
    graph.output(tuple(nodes[i] for i in g["outputs"]))
    return gm


def example_inputs(gm):
    """Zeros of every placeholder's declared type, in order (for ShapeProp)."""
    return [torch.zeros(n.meta["qdiff_shape"], dtype=ops.STORAGE[n.meta["qdiff_dtype"]])
            for n in gm.graph.nodes if n.op == "placeholder"]


# --- fx -> JSON --------------------------------------------------------------

def ids_of(args):
    """Data inputs: node ids, -1 for an absent optional input."""
    return [-1 if a is None else a for a in args]


def quant_fields(kind, x, s, z, p, contract=None):
    n = {"kind": kind, "inputs": ids_of([x, s, z]), "dtype": p["dtype"], "quant_min": p["quant_min"],
         "quant_max": p["quant_max"], "zero_point_domain": p["zero_point_domain"]}
    if p.get("block_size") is not None:
        n["block_size"] = list(p["block_size"])
    if contract is not None:
        n["contract"] = contract
    return n


def affine_json(node, a):
    p = dict(zip(("block_size", "dtype", "quant_min", "quant_max", "zero_point_domain"), a[1:2] + a[4:8]))
    quantize = node.target is ops.quantize_affine
    return quant_fields("quantize" if quantize else "dequantize", a[0], a[2], a[3], p, a[8] if quantize else None)


def legacy_json(node, a):
    p = dict(dtype=a[6], quant_min=a[4], quant_max=a[5], **{k: node.kwargs.get(k) for k in
                                                           ("zero_point_domain", "block_size")})
    kind = "quantize" if node.target is ops.quantize_per_channel else "dequantize"
    n = quant_fields(kind, a[0], a[1], a[2], p, node.kwargs.get("contract"))
    n["axis"] = a[3]
    return n


def params_json(d):
    p = {k: d[k] for k in PARAM_FIELDS if d.get(k) is not None}
    p["scale"] = json_tensor(constant_value(d["scale"]), d["scale"].meta["qdiff_dtype"])
    if d["zero_point"] is not None:
        p["zero_point"] = json_tensor(constant_value(d["zero_point"]), d["zero_point"].meta["qdiff_dtype"])
    return p


def fused_json(node, a):
    kind = node.target.__name__
    names = ("x_params", "w_params") if kind in ("qlinear", "qconv2d") else ("a_params", "b_params")
    arity = ARITY[kind]
    n = {"kind": kind, "inputs": ids_of(a[:arity])}
    n.update({k: params_json(node.args[arity + i]) for i, k in enumerate(names + ("out_params",))})
    if kind == "qconv2d":
        n.update(node.args[arity + 4])
    act = node.args[arity + 3]
    if act["kind"] != "none":
        n["activation"] = {k: json_f32(v) if k in ("lo", "hi") else v for k, v in act.items()}
    return n


def call_json(node, ids):
    a = [ids[x] if isinstance(x, torch.fx.Node) else x for x in node.args]
    t = node.target
    if t in (ops.quantize_affine, ops.dequantize_affine):
        return affine_json(node, a)
    if t in (ops.quantize_per_channel, ops.dequantize_per_channel):
        return legacy_json(node, a)
    if t in ops.FUSED:
        return fused_json(node, a)
    if t is ops.conv2d:
        return dict({"kind": "conv2d", "inputs": ids_of(a[:3])}, **dict(zip(CONV_FIELDS, node.args[3:])))
    if t is ops.view_copy:
        return {"kind": "reshape", "inputs": a[:1], "shape": list(node.args[1])}
    kind = {ops.linear: "linear", ops.add: "add", ops.mul: "mul", ops.relu: "relu"}[t]
    return {"kind": kind, "inputs": ids_of((a + [None])[:ARITY[kind]])}


def param_only(node):
    """A constant read only as a fused node's params (written inline there)."""
    return node.op == "get_attr" and node.users and all(
        u.target in ops.FUSED and node not in u.args[:ARITY[u.target.__name__]] for u in node.users)


def node_json(node, ids):
    if node.op == "placeholder":
        return {"kind": "input", "dtype": node.meta["qdiff_dtype"], "shape": node.meta["qdiff_shape"]}
    if node.op == "get_attr":
        return {"kind": "constant", "value": json_tensor(constant_value(node), node.meta["qdiff_dtype"])}
    return call_json(node, ids)


def to_json(gm):
    """qdiff graph JSON of a GraphModule built by to_graph_module (and rewritten)."""
    ids, nodes, outputs = {}, [], []
    for node in gm.graph.nodes:
        if node.op == "output":
            outputs = [ids[x] for x in node.args[0]]
            continue
        if param_only(node):
            continue
        n = dict({"id": len(nodes)}, **node_json(node, ids))
        if node.meta.get("qdiff_name"):
            n["name"] = node.meta["qdiff_name"]
        ids[node] = n["id"]
        nodes.append(n)
    return {"nodes": nodes, "outputs": outputs}
