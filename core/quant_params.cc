#include "core/quant_params.h"

#include <fmt/format.h>

namespace qdiff {

QuantParams QuantParams::per_tensor(float s, int32_t z, DType dtype,
                                    int64_t qmin, int64_t qmax) {
  QuantParams p;
  p.scale = Tensor::of<float>(Shape{}, {s});
  p.zero_point = Tensor::of<int32_t>(Shape{}, {z});
  p.dtype = dtype;
  p.quant_min = qmin;
  p.quant_max = qmax;
  return p;
}

QuantParams QuantParams::for_type(std::string_view quant_type, Tensor scale,
                                  std::optional<Tensor> zero_point) {
  const auto qt = parse_quant_type(quant_type);
  if (!qt) fail(ErrorKind::unsupported, "unknown quantized type '{}'", quant_type);
  QuantParams p;
  p.scale = std::move(scale);
  p.zero_point = std::move(zero_point);
  p.dtype = qt->storage;
  p.quant_min = qt->quant_min;
  p.quant_max = qt->quant_max;
  return p;
}

std::string QuantParams::summary() const {
  std::string s = fmt::format("scale {}", scale.shape().str());
  if (zero_point) s += fmt::format(" zp {}", zero_point->shape().str());
  s += fmt::format(" {} [{}, {}] {}", dtype_name(dtype), quant_min, quant_max,
                   domain_name(zero_point_domain));
  if (block_size) s += fmt::format(" block_size [{}]", fmt::join(*block_size, ", "));
  return s;
}

}  // namespace qdiff
