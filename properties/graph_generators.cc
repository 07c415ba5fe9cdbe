#include "properties/graph_generators.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>

#include "properties/domains.h"
#include "properties/fusion_legality.h"

namespace qdiff::props {
namespace {

constexpr float kInf = std::numeric_limits<float>::infinity();

// The graphs' batch, input and output dims.
constexpr SmallDims kGraphDims{30, 35, 20, 15, /*max=*/24};

// Scales in [2^lo, 2^(hi + 1)): powers of two (exact products) or random
// mantissas, per node where a block's output range wants them.
float graph_scale(Source& src, int lo, int hi) { return draw_scale(src, ScaleValues::normal(45, lo, hi)); }

class GraphDraw {
 public:
  GraphDraw(Source& src, const GraphLimits& limits) : src_(src), limits_(limits) {}

  GraphCase run() {
    // The input: [batch.., In], or NCHW for conv graphs.
    src_.label(ChoiceLabel::node_kind);
    const bool conv = src_.chance(limits_.conv_percent);
    Shape x_shape;
    if (conv) {
      src_.label(ChoiceLabel::dim_value);
      x_shape = Shape{src_.integer(1, 2), src_.integer(1, 4), src_.integer(1, 7), src_.integer(1, 7)};
    } else {
      src_.label(ChoiceLabel::rank);
      const int batch_rank = int(src_.weighted({15, 50, 20, 15}));
      for (int i = 0; i < batch_rank; ++i) x_shape.push_back(draw_small_dim(src_, kGraphDims));
      x_shape.push_back(draw_small_dim(src_, kGraphDims));
      fit(x_shape);
    }
    const int x = g_.input("x", DType::f32, x_shape);
    inputs_.push_back(random_floats(x_shape, 4.0f));
    int value = x;
    Shape shape = x_shape;
    // Quantize the input and bring it back (the activation's q/dq pair).
    auto [xq, xspec, xs, xz] = quantize_activation(value, shape);
    value = g_.dequantize(xq, xs, xz, xspec);
    src_.label(ChoiceLabel::node_count);
    const int blocks = int(src_.integer(1, limits_.max_blocks));
    int last_quantized = xq;
    for (int b = 0; b < blocks; ++b) {
      src_.label(ChoiceLabel::node_kind);
      const int kind = conv ? 2 : int(src_.weighted({100 - limits_.elementwise_percent, limits_.elementwise_percent, 0}));
      if (kind == 0) {
        last_quantized = linear_block(value, shape);
      } else if (kind == 1) {
        last_quantized = elementwise_block(value, shape);
      } else {
        last_quantized = conv_block(value, shape);
      }
      if (b + 1 < blocks) value = dequantize_like(last_quantized);
    }
    // The output: the quantized tensor, or sometimes its dequantized value.
    src_.label(ChoiceLabel::node_count);
    g_.output(src_.chance(100 - limits_.output_dequantize_percent) ? last_quantized : dequantize_like(last_quantized));
    Graph graph = g_.build();
    std::vector<FusionSite> sites = record_firings(graph);
    return GraphCase{std::move(graph), inputs_, std::move(sites)};
  }

 private:
  struct QuantNode {
    int q;
    QuantSpec spec;
    int scale;
    std::optional<int> zp;
  };
  // What requantize built: the output quantize q1 and, when drawn, the
  // absorption pair quantize2(dequantize(q1)).
  struct Requantized {
    int q1;
    std::optional<int> dq, q2;
    int last() const { return q2 ? *q2 : q1; }
  };
  struct MulNode {
    int mul, c;
  };

  void fit(Shape& s) const {
    for (int i = 0; i < s.rank(); ++i) {
      while (s.numel() > limits_.max_elements && s[i] > 1) s[i] = (s[i] + 1) / 2;
    }
  }

  Tensor random_floats(const Shape& shape, float range) {
    Tensor t(DType::f32, shape);
    auto d = t.data<float>();
    fill_each(src_, t.numel(), [&](auto& from, int64_t i) {
      from.label(ChoiceLabel::value_any);
      d[i] = from.chance(10) ? float(from.integer(-8, 8)) * 0.25f
                             : range * (float(from.integer(-1 << 20, 1 << 20)) / float(1 << 20));
    });
    return t;
  }

  // A scale constant of `shape`, sometimes given as a reshape of a constant
  // of another shape (constant folding's business).
  int scale_constant(Tensor scale) {
    src_.label(ChoiceLabel::node_count);
    if (src_.chance(15) && scale.numel() >= 1) {
      Shape flat{scale.numel()};
      const int c = g_.constant(scale.reshaped(flat), "scale_src");
      return g_.reshape(c, scale.shape());
    }
    return g_.constant(std::move(scale), "scale");
  }

  std::optional<int> zero_point_constant(const Shape& shape, int64_t qmin, int64_t qmax) {
    src_.label(ChoiceLabel::layout);
    if (src_.chance(30)) return std::nullopt;
    Tensor z(DType::i32, shape);
    auto d = z.data<int32_t>();
    fill_each(src_, z.numel(), [&](auto& from, int64_t i) {
      from.label(ChoiceLabel::zero_point);
      d[i] = int32_t(from.chance(40) ? std::clamp<int64_t>(0, qmin, qmax) : from.integer(qmin, qmax));
    });
    return g_.constant(z, "zero_point");
  }

  // quantize(value) with per-tensor params, or the legacy per-channel form
  // along the last dim (axis -1 or rank - 1).
  QuantNode quantize_activation(int value, const Shape& shape) {
    QuantSpec spec = draw_activation_spec();
    const int rank = shape.rank();
    src_.label(ChoiceLabel::layout);
    if (rank >= 1 && src_.chance(15)) {
      spec.legacy_axis = src_.boolean() ? -1 : rank - 1;
      int64_t c = shape[rank - 1], zc = c;
      // Rarely, a legacy node the spec rejects (error parity of the legacy
      // validation: OptimizedGraphExecutionMatchesReference compares the
      // error kinds; the other graph properties discard such graphs).
      src_.label(ChoiceLabel::layout);
      if (src_.chance(12)) {
        switch (src_.integer(0, 4)) {
          case 0: spec.legacy_axis = src_.boolean() ? rank : -rank - 1; break;  // axis out of range
          case 1: c += 1; zc = c; break;                                        // scale not [C]
          case 2: zc = c + 1; break;                                            // zero point not [C]
          case 3: spec.block_size = std::vector<int64_t>(size_t(rank), 1); break;  // block_size with axis
          default: spec.quant_min = spec.quant_min - 1; break;                  // range outside dtype
        }
      }
      Tensor s(DType::f32, Shape{c});
      for (float& v : s.data<float>()) v = graph_scale(src_, -7, -3);
      const int sc = g_.constant(s, "scale");
      const auto zp = zero_point_constant(Shape{zc}, spec.quant_min, spec.quant_max);
      return {g_.quantize(value, sc, zp, spec), spec, sc, zp};
    }
    src_.label(ChoiceLabel::layout);
    // Two draws: sequenced here, since the order in which a call's
    // arguments are evaluated is unspecified (gcc and clang differ, and a
    // seed must draw the same case in every build).
    const Shape scale_shape = src_.boolean() ? Shape{} : Shape{1};
    const float scale_value = graph_scale(src_, -7, -3);
    const int sc = scale_constant(Tensor::of<float>(scale_shape, {scale_value}));
    const auto zp = zero_point_constant(values_shape_of(sc), spec.quant_min, spec.quant_max);
    return {g_.quantize(value, sc, zp, spec), spec, sc, zp};
  }

  // An 8-bit activation's spec: u8 or i8, under any contract.
  QuantSpec draw_activation_spec() {
    static const std::vector<QuantTypeOption> kTypes = {
        {QuantTypeOption::Kind::one_of, 40, {quant_types::kU8}},
        {QuantTypeOption::Kind::one_of, 60, {quant_types::kI8}},
    };
    const QuantType qt = draw_quant_type(src_, kTypes);
    QuantSpec spec;
    spec.dtype = qt.storage;
    spec.quant_min = qt.quant_min;
    spec.quant_max = qt.quant_max;
    src_.label(ChoiceLabel::contract);
    spec.contract = src_.pick(std::span<const Contract>(kAllContracts));
    return spec;
  }

  Shape values_shape_of(int id) {
    const Node& n = g_built_node(id);
    if (n.kind == NodeKind::reshape) return n.target_shape;
    return n.value.shape();
  }
  const Node& g_built_node(int id) { return g_.node(id); }

  int dequantize_like(int q_id) {
    const Node& q = g_built_node(q_id);
    if (q.kind == NodeKind::quantize) {
      QuantSpec spec = q.spec;
      return g_.dequantize(q_id, q.inputs[1], q.input(2) == kNoInput ? std::nullopt : std::optional<int>(q.input(2)), spec);
    }
    return q_id;
  }

  // dequantize(W) -> linear -> [mul c] -> [relu] -> quantize [-> dq -> q].
  int linear_block(int value, Shape& shape) {
    const int rank = shape.rank();
    const int64_t in = shape[rank - 1];
    // K == In sometimes (square weights), and K == the batch dim N
    // sometimes: a [K, 1] mul constant then broadcasts like a [N, 1] one,
    // the shape that reads as per-channel but varies along the batch
    // (SPEC section 2, "Shape alone can mislead"; fault point
    // fold_non_foldable_mul).
    const bool batch_is_usable = rank >= 2 && shape[rank - 2] >= 1;
    src_.label(ChoiceLabel::layout);
    int64_t k;
    switch (src_.weighted({20, batch_is_usable ? 15 : 0, 65})) {
      case 0: k = in; break;
      case 1: k = shape[rank - 2]; break;
      default: k = draw_small_dim(src_, kGraphDims); break;
    }
    while (k * in > limits_.max_elements && k > 1) k = (k + 1) / 2;
    // Weight values and layout.
    QuantSpec wspec;
    src_.label(ChoiceLabel::dtype_range);
    const bool int4 = src_.chance(25);
    wspec.dtype = DType::i8;
    wspec.quant_min = int4 ? -8 : -128;
    wspec.quant_max = int4 ? 7 : 127;
    Tensor wq(DType::i8, Shape{k, in});
    auto wd = wq.data<int8_t>();
    fill_each(src_, wq.numel(), [&](auto& from, int64_t i) {
      from.label(ChoiceLabel::qvalue);
      wd[i] = int8_t(from.integer(wspec.quant_min, wspec.quant_max));
    });
    const int w = g_.constant(wq, "W");
    const auto [ws, wz] = weight_params(k, in, wspec);
    const int wdq = g_.dequantize(w, ws, wz, wspec);
    std::optional<int> bias;
    src_.label(ChoiceLabel::node_count);
    if (src_.chance(50)) bias = g_.constant(random_floats(Shape{k}, 1.0f), "bias");
    const BlockSite site{value, shape, w, g_.linear(value, wdq, bias)};
    src_.label(ChoiceLabel::node_count);
    if (src_.chance(limits_.shared_op_percent)) g_.output(site.op);
    int y = site.op;
    shape[shape.rank() - 1] = k;
    // When K equals the batch dim, a [K, 1] mul constant reads as
    // per-channel but varies along the batch: the reason K == N is drawn
    // at all, so such blocks get a mul, and that shape, more often.
    const bool k_is_batch = rank >= 2 && k > 1 && shape[rank - 2] == k;
    src_.label(ChoiceLabel::node_count);
    const Shape linear_shape = shape;
    std::optional<MulNode> mul;
    if (src_.chance(k_is_batch ? 70 : 40)) {
      mul = mul_constant(y, shape, k_is_batch);
      y = mul->mul;
    }
    src_.label(ChoiceLabel::node_count);
    if (src_.chance(limits_.relu_percent)) y = g_.relu(y);
    const Requantized out = requantize(y, shape);
    record_block_sites(FusionKind::quantized_linear, site, mul, out, linear_shape, shape);
    return out.last();
  }

  // The nodes of a linear or conv block that its fusion sites name.
  struct BlockSite {
    int x_dq;
    Shape x_shape;
    int w, op;
  };

  // The block's fusion sites (cases/fusion_site.h), by role; their firing
  // is derived once the graph is built (record_firings), and the shapes
  // the rules need are noted here.
  void record_block_sites(FusionKind chain, const BlockSite& s, const std::optional<MulNode>& mul,
                          const Requantized& out, const Shape& op_shape, const Shape& out_shape) {
    shapes_[s.x_dq] = s.x_shape;
    shapes_[s.op] = op_shape;
    shapes_[out.q1] = out_shape;
    if (mul) sites_.push_back({FusionKind::mul_into_linear, Firing::may, {mul->mul, s.op, s.w, mul->c}});
    sites_.push_back({chain, Firing::may, {out.q1, s.op, s.w}});
    if (!out.q2) return;
    shapes_[*out.q2] = out_shape;
    sites_.push_back({FusionKind::absorption, Firing::may, {*out.q2, *out.dq, out.q1, s.w}});
  }

  // Each site's firing by SPEC section 8's rules (properties/fusion_legality.h).
  std::vector<FusionSite> record_firings(const Graph& g) const {
    const std::vector<int> uses = g.use_counts();
    const ShapeOf shape_of = [this](int id) -> std::optional<Shape> {
      const auto it = shapes_.find(id);
      if (it == shapes_.end()) return std::nullopt;
      return it->second;
    };
    std::vector<FusionSite> out;
    for (FusionSite s : sites_) {
      const std::optional<Firing> f = site_firing(g, shape_of, uses, s);
      if (!f) continue;
      s.firing = *f;
      out.push_back(std::move(s));
    }
    return out;
  }

  // The weight's dequantize params: per-tensor, per-channel [K, 1] (zero
  // point sometimes), per-group [K, G] (G = 1 included), or legacy
  // per-channel (1-D [K] along axis 0 or -2, set in wspec).
  struct WeightParams {
    int ws;
    std::optional<int> wz;
  };
  WeightParams weight_params(int64_t k, int64_t in, QuantSpec& wspec) {
    int ws;
    std::optional<int> wz;
    src_.label(ChoiceLabel::layout);
    switch (src_.weighted({20, 35, 25, 20})) {
      case 0:  // per-tensor
        ws = scale_constant(Tensor::of<float>(Shape{}, {graph_scale(src_, -8, -4)}));
        break;
      case 1: {  // per-channel [K, 1]
        Tensor s(DType::f32, Shape{k, 1});
        for (float& v : s.data<float>()) v = graph_scale(src_, -8, -4);
        ws = scale_constant(s);
        src_.label(ChoiceLabel::layout);
        if (src_.chance(30)) wz = zero_point_constant(Shape{k, 1}, wspec.quant_min, wspec.quant_max);
        break;
      }
      case 2: {  // per-group [K, G], G = 1 included
        std::vector<int64_t> divisors;
        for (int64_t d = 1; d <= in; ++d) {
          if (in % d == 0) divisors.push_back(d);
        }
        src_.label(ChoiceLabel::layout);
        const int64_t groups = src_.chance(25) ? 1 : divisors[src_.index(divisors.size())];
        Tensor s(DType::f32, Shape{k, groups});
        for (float& v : s.data<float>()) v = graph_scale(src_, -8, -4);
        ws = scale_constant(s);
        break;
      }
      default: {  // legacy per-channel: 1-D [K] along axis 0 or -2
        src_.label(ChoiceLabel::layout);
        wspec.legacy_axis = src_.boolean() ? 0 : -2;
        Tensor s(DType::f32, Shape{k});
        for (float& v : s.data<float>()) v = graph_scale(src_, -8, -4);
        ws = g_.constant(s, "scale");
        break;
      }
    }
    return {ws, wz};
  }

  // mul(y, c): foldable shapes ([K], [1, K], [1]) and non-foldable ones
  // ([K, 1] when the batch equals K, the full [N, K]); values sometimes zero,
  // negative or non-finite.
  MulNode mul_constant(int y, Shape& shape, bool k_is_batch) {
    const int r = shape.rank();
    const int64_t k = shape[r - 1];
    Shape cs;
    src_.label(ChoiceLabel::mul_constant_shape);
    switch (k_is_batch ? src_.weighted({20, 10, 10, 45, 15}) : src_.weighted({35, 15, 15, 20, 15})) {
      case 0: cs = Shape{k}; break;
      case 1: cs = Shape{1, k}; break;
      case 2: cs = Shape{1}; break;
      case 3:  // [K, 1]: only when it broadcasts without changing the shape
        if (r >= 2 && shape[r - 2] == k) {
          cs = Shape{k, 1};
        } else {
          cs = Shape{k};
        }
        break;
      default: cs = shape; break;  // varies along every dim
    }
    Tensor c(DType::f32, cs);
    auto d = c.data<float>();
    for (auto& v : d) v = graph_scale(src_, -2, 2);
    src_.label(ChoiceLabel::other);
    if (src_.chance(15) && c.numel() > 0) {
      d[src_.index(size_t(c.numel()))] = src_.pick<float>({0.0f, -0.5f, kInf, -1.0f});
    }
    // A c with more dims than y broadcasts y up ([1, K] times [K] is
    // [1, K]): later blocks and the fusion rules see the mul's shape.
    shape = broadcast_shapes(shape, cs);
    const int c_id = g_.constant(c, "c");
    // Either operand order: SPEC section 8 names none (fault point
    // fold_linear_first_only folds only mul(linear, c)).
    src_.label(ChoiceLabel::other);
    return {src_.chance(35) ? g_.mul(c_id, y) : g_.mul(y, c_id), c_id};
  }

  // quantize(y, p_out), sometimes followed by the absorption pattern
  // quantize(dequantize(., p_out), p2) with p2 per-tensor or per-channel.
  Requantized requantize(int y, const Shape& shape) {
    QuantSpec spec = draw_activation_spec();
    int q;
    src_.label(ChoiceLabel::layout);
    if (src_.chance(20) && shape.rank() >= 1 && shape[shape.rank() - 1] > 1) {
      // per-channel output along the last dim (full rank)
      Shape ss = Shape::ones(shape.rank());
      ss[shape.rank() - 1] = shape[shape.rank() - 1];
      Tensor s(DType::f32, ss);
      for (float& v : s.data<float>()) v = graph_scale(src_, -6, -1);
      const int sc = scale_constant(s);
      q = g_.quantize(y, sc, zero_point_constant(ss, spec.quant_min, spec.quant_max), spec);
    } else {
      const int sc = scale_constant(Tensor::of<float>(Shape{}, {graph_scale(src_, -6, -1)}));
      q = g_.quantize(y, sc, zero_point_constant(Shape{}, spec.quant_min, spec.quant_max), spec);
    }
    src_.label(ChoiceLabel::node_count);
    if (!src_.chance(25)) return {q, std::nullopt, std::nullopt};
    const int dq = dequantize_like(q);
    QuantSpec p2 = spec;
    p2.contract = Contract::torchao;
    src_.label(ChoiceLabel::layout);
    if (src_.chance(35) && shape.rank() >= 1) {  // per-channel p2 (absorption must not fire)
      const int axis = int(src_.integer(0, shape.rank() - 1));
      Shape ss = Shape::ones(shape.rank());
      ss[axis] = shape[axis];
      Tensor s(DType::f32, ss);
      for (float& v : s.data<float>()) v = graph_scale(src_, -6, -1);
      return {q, dq, g_.quantize(dq, g_.constant(s, "scale2"), std::nullopt, p2)};
    }
    return {q, dq, g_.quantize(dq, g_.constant(Tensor::of<float>(Shape{}, {graph_scale(src_, -6, -1)}), "scale2"),
                               std::nullopt, p2)};
  }

  // add/mul with a second quantized operand of a broadcast shape.
  int elementwise_block(int value, Shape& shape) {
    Shape other;
    src_.label(ChoiceLabel::rank);
    for (int i = src_.chance(30) ? 1 : 0; i < shape.rank(); ++i) other.push_back(src_.chance(30) ? 1 : shape[i]);
    const int b = g_.constant(random_floats(other, 2.0f), "b");
    auto [bq, bspec, bs, bz] = quantize_activation(b, other);
    const int bdq = g_.dequantize(bq, bs, bz, bspec);
    src_.label(ChoiceLabel::node_kind);
    const int y = src_.boolean() ? g_.add(value, bdq) : g_.mul(value, bdq);
    src_.label(ChoiceLabel::node_count);
    const Requantized out = requantize(src_.chance(20) ? g_.relu(y) : y, shape);
    shapes_[value] = shape;
    shapes_[bdq] = other;
    shapes_[out.q1] = shape;
    sites_.push_back({FusionKind::quantized_elementwise, Firing::may, {out.q1, y, b}});
    return out.last();
  }

  // conv2d with per-tensor or per-output-channel weights.
  int conv_block(int value, Shape& shape) {
    const int64_t c = shape[1];
    src_.label(ChoiceLabel::layout);
    const int64_t groups = (c % 2 == 0 && src_.chance(30)) ? 2 : 1;
    src_.label(ChoiceLabel::dim_value);
    const int64_t o = groups * src_.integer(1, 3);
    const int64_t kh = src_.integer(1, 3), kw = src_.integer(1, 3);
    Conv2dAttrs at;
    at.groups = groups;
    src_.label(ChoiceLabel::layout);
    at.stride = {src_.integer(1, 2), src_.integer(1, 2)};
    at.padding = {src_.integer(0, 1), src_.integer(0, 1), src_.integer(0, 1), src_.integer(0, 1)};
    if (shape[2] + at.padding[0] + at.padding[2] < kh) at.padding[2] = kh;
    if (shape[3] + at.padding[1] + at.padding[3] < kw) at.padding[3] = kw;
    QuantSpec wspec;
    Tensor wq(DType::i8, Shape{o, c / groups, kh, kw});
    auto wd = wq.data<int8_t>();
    fill_each(src_, wq.numel(), [&](auto& from, int64_t i) { from.label(ChoiceLabel::qvalue); wd[i] = int8_t(from.integer(-128, 127)); });
    const int w = g_.constant(wq, "W");
    int ws;
    src_.label(ChoiceLabel::layout);
    const bool per_channel = src_.chance(60);
    if (per_channel) {
      Tensor s(DType::f32, Shape{o, 1, 1, 1});
      for (float& v : s.data<float>()) v = graph_scale(src_, -9, -5);
      ws = scale_constant(s);
    } else {
      ws = scale_constant(Tensor::of<float>(Shape{}, {graph_scale(src_, -9, -5)}));
    }
    // Weight zero points as for linear weights: without them the lowering
    // of a conv's zero points never ran (a mutant there survived, issue 16).
    std::optional<int> wz;
    src_.label(ChoiceLabel::layout);
    if (src_.chance(30)) {
      wz = zero_point_constant(per_channel ? Shape{o, 1, 1, 1} : Shape{}, wspec.quant_min, wspec.quant_max);
    }
    const int wdq = g_.dequantize(w, ws, wz, wspec);
    std::optional<int> bias;
    src_.label(ChoiceLabel::node_count);
    if (src_.chance(50)) bias = g_.constant(random_floats(Shape{o}, 1.0f), "bias");
    const BlockSite site{value, shape, w, g_.conv2d(value, wdq, bias, at)};
    src_.label(ChoiceLabel::node_count);
    if (src_.chance(limits_.shared_op_percent)) g_.output(site.op);
    const int64_t oh = (shape[2] + at.padding[0] + at.padding[2] - kh) / at.stride[0] + 1;
    const int64_t ow = (shape[3] + at.padding[1] + at.padding[3] - kw) / at.stride[1] + 1;
    shape = Shape{shape[0], o, oh, ow};
    src_.label(ChoiceLabel::node_count);
    const Requantized out = requantize(src_.chance(30) ? g_.relu(site.op) : site.op, shape);
    record_block_sites(FusionKind::quantized_conv2d, site, std::nullopt, out, shape, shape);
    return out.last();
  }

  Source& src_;
  GraphLimits limits_;
  GraphBuilder g_;
  std::vector<Tensor> inputs_;
  std::vector<FusionSite> sites_;             // firing decided by record_firings
  std::map<int, Shape> shapes_;                // value shapes the firing rules need
};

}  // namespace

GraphCase draw_graph_case(Source& src, const GraphLimits& limits) {
  return GraphDraw(src, limits).run();
}

}  // namespace qdiff::props
