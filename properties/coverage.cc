#include "properties/coverage.h"

#include <algorithm>

#include <fmt/format.h>

#include "core/block_layout.h"

namespace qdiff::props {

std::string quant_type_tag(DType storage, int64_t qmin, int64_t qmax) {
  if (qmin == dtype_min(storage) && qmax == dtype_max(storage)) {
    return std::string(dtype_name(storage));
  }
  for (int bits = 1; bits <= 7; ++bits) {
    if (storage == DType::i8 && qmin == -(int64_t{1} << (bits - 1)) &&
        qmax == (int64_t{1} << (bits - 1)) - 1) {
      return fmt::format("i{}", bits);
    }
    if (storage == DType::u8 && qmin == 0 && qmax == (int64_t{1} << bits) - 1) {
      return fmt::format("u{}", bits);
    }
  }
  return fmt::format("{}[custom]", dtype_name(storage));
}

std::string layout_tag(const AffineCase& c) {
  try {
    if (c.op == AffineOpKind::choose_qparams) {
      std::vector<int64_t> blocks = c.choose.block_size.value_or(
          std::vector<int64_t>(c.input.shape().begin(), c.input.shape().end()));
      for (auto& b : blocks) b = std::max<int64_t>(b, 1);
      return std::string(layout_class_name(
          BlockLayout::from_divisible_blocks(c.input.shape(), blocks).classify()));
    }
    return std::string(layout_class_name(
        BlockLayout::derive(c.input.shape(), c.params.scale.shape(), c.params.block_size)
            .classify()));
  } catch (const Error&) {
    return "invalid";
  }
}

namespace {

std::string params_layout(const Shape& tensor, const QuantParams& p) {
  try {
    return std::string(layout_class_name(BlockLayout::derive(tensor, p.scale.shape(), p.block_size).classify()));
  } catch (const Error&) {
    return "invalid";
  }
}

std::string elements_bucket(int64_t n) {
  return n == 0 ? "0" : n == 1 ? "1" : n <= 16 ? "2-16" : n <= 256 ? "17-256" : n <= 4096 ? "257-4096" : ">4096";
}

}  // namespace

void Coverage::add_case(const Case& c) {
  if (const auto* a = std::get_if<AffineCase>(&c)) {
    add_affine_case(*a);
    return;
  }
  add("op", case_op_name(c));
  const auto fused = [&](const Tensor& x, const QuantParams& xp, const Tensor& w, const QuantParams& wp,
                         const Activation& act) {
    add("rank", std::to_string(x.shape().rank()));
    add("layout", params_layout(w.shape(), wp));  // the weight's layout
    add("x_layout", params_layout(x.shape(), xp));
    add("dtype", quant_type_tag(wp.dtype, wp.quant_min, wp.quant_max));
    add("domain", std::string(domain_name(wp.zero_point_domain)));
    add("activation", std::string(activation_name(act.kind)));
    add("elements", elements_bucket(w.numel()));
  };
  const auto contract = [&](const QLinearContract& k) {
    add("bias_grid", std::string(bias_grid_name(k.bias)));
    add("output_zero_point", std::string(output_zero_point_name(k.output_zero_point)));
  };
  if (const auto* q = std::get_if<QLinearCase>(&c)) {
    fused(q->args.x, q->args.x_params, q->args.w, q->args.w_params, q->args.activation);
    add("out_layout", q->args.out_params.scale.numel() > 1 ? "per_channel" : "per_tensor");
    contract(q->args.contract);
  } else if (const auto* v = std::get_if<QConv2dCase>(&c)) {
    fused(v->args.x, v->args.x_params, v->args.w, v->args.w_params, v->args.activation);
    add("groups", v->args.attrs.groups == 1 ? "1" : "> 1");
    contract(v->args.contract);
  } else if (const auto* e = std::get_if<QElementwiseCase>(&c)) {
    add("rank", std::to_string(std::max(e->args.a.shape().rank(), e->args.b.shape().rank())));
    add("layout", params_layout(e->args.a.shape(), e->args.a_params));
    add("dtype", quant_type_tag(e->args.a_params.dtype, e->args.a_params.quant_min, e->args.a_params.quant_max));
    add("broadcast", e->args.a.shape() == e->args.b.shape() ? "none" : "yes");
    add("activation", std::string(activation_name(e->args.activation.kind)));
    add("elements", elements_bucket(std::max(e->args.a.numel(), e->args.b.numel())));
  }
}

void Coverage::add_affine_case(const AffineCase& c) {
  add("op", std::string(affine_op_name(c.op)));
  add("layout", layout_tag(c));
  add("rank", std::to_string(c.input.shape().rank()));
  add("elements", elements_bucket(c.input.numel()));
  if (c.op == AffineOpKind::choose_qparams) {
    add("dtype", quant_type_tag(c.choose.dtype, c.choose.quant_min, c.choose.quant_max));
    add("mapping", std::string(mapping_name(c.choose.mapping)));
    add("domain", std::string(domain_name(c.choose.zero_point_domain)));
  } else {
    add("dtype", quant_type_tag(c.params.dtype, c.params.quant_min, c.params.quant_max));
    add("contract", std::string(contract_name(c.contract)));
    add("domain", std::string(domain_name(c.params.zero_point_domain)));
    add("block_mode", c.params.block_size ? "explicit" : "derived");
  }
}

void Coverage::merge(const Coverage& other) {
  for (const auto& [dim, values] : other.counts) {
    for (const auto& [value, n] : values) counts[dim][value] += n;
  }
}

int64_t Coverage::distinct(const std::string& dimension) const {
  const auto it = counts.find(dimension);
  return it == counts.end() ? 0 : int64_t(it->second.size());
}

std::string Coverage::line(const std::string& dimension) const {
  const auto it = counts.find(dimension);
  if (it == counts.end()) return "-";
  std::vector<std::string> parts;
  for (const auto& [value, n] : it->second) parts.push_back(fmt::format("{} {}", value, n));
  return fmt::format("{}", fmt::join(parts, ", "));
}

std::string Coverage::layouts_cell() const {
  const auto it = counts.find("layout");
  if (it == counts.end()) return "-";
  int valid = 0;
  for (const auto c : kAllLayoutClasses) valid += it->second.count(std::string(layout_class_name(c))) > 0;
  return fmt::format("{}/4", valid);
}

std::string Coverage::ranks_cell() const {
  const auto it = counts.find("rank");
  if (it == counts.end()) return "-";
  int lo = 99, hi = -1;
  for (const auto& [value, n] : it->second) {
    lo = std::min(lo, std::stoi(value));
    hi = std::max(hi, std::stoi(value));
  }
  return lo == hi ? std::to_string(lo) : fmt::format("{}-{}", lo, hi);
}

}  // namespace qdiff::props
