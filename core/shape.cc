#include "core/shape.h"

#include <fmt/format.h>

#include "core/error.h"

namespace qdiff {

Shape::Shape(std::initializer_list<int64_t> dims)
    : Shape(from(std::span<const int64_t>(dims.begin(), dims.size()))) {}

Shape Shape::from(std::span<const int64_t> dims, const char* what) {
  if (dims.size() > size_t(kMaxRank)) {
    fail(ErrorKind::invalid_shape, "{} has rank {}, the limit is {}", what,
         dims.size(), kMaxRank);
  }
  Shape s;
  for (size_t i = 0; i < dims.size(); ++i) {
    if (dims[i] < 0) {
      fail(ErrorKind::invalid_shape, "{} dim {} has negative size {}", what, i,
           dims[i]);
    }
    s.dims_[i] = dims[i];
  }
  s.rank_ = int(dims.size());
  return s;
}

Shape Shape::ones(int rank) {
  Shape s;
  for (int i = 0; i < rank; ++i) s.push_back(1);
  return s;
}

std::optional<int64_t> Shape::checked_numel() const {
  for (int i = 0; i < rank_; ++i) {
    if (dims_[i] == 0) return 0;
  }
  int64_t n = 1;
  for (int i = 0; i < rank_; ++i) {
    if (__builtin_mul_overflow(n, dims_[i], &n)) return std::nullopt;
  }
  return n;
}

int64_t Shape::numel() const {
  // A zero dim makes the product 0 whatever the other dims are (they may
  // be huge, so never multiply first). Callers ensure non-zero shapes fit.
  for (int i = 0; i < rank_; ++i) {
    if (dims_[i] == 0) return 0;
  }
  int64_t n = 1;
  for (int i = 0; i < rank_; ++i) n *= dims_[i];
  return n;
}

void Shape::push_back(int64_t dim) {
  if (rank_ >= kMaxRank) {
    fail(ErrorKind::invalid_shape, "shape rank would exceed {}", kMaxRank);
  }
  dims_[rank_++] = dim;
}

bool Shape::operator==(const Shape& other) const {
  if (rank_ != other.rank_) return false;
  for (int i = 0; i < rank_; ++i) {
    if (dims_[i] != other.dims_[i]) return false;
  }
  return true;
}

std::string Shape::str() const {
  return fmt::format("[{}]", fmt::join(dims(), ", "));
}

std::array<int64_t, kMaxRank> row_major_strides(const Shape& shape) {
  std::array<int64_t, kMaxRank> strides{};
  int64_t s = 1;
  for (int i = shape.rank() - 1; i >= 0; --i) {
    strides[i] = s;
    s *= shape[i];
  }
  return strides;
}

}  // namespace qdiff
