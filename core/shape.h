// Shape: rank 0..8, each dim >= 0 (zero-size dims allowed, SPEC section 1).
#pragma once

#include <array>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <span>
#include <string>

namespace qdiff {

inline constexpr int kMaxRank = 8;

class Shape {
 public:
  Shape() = default;  // rank 0: a scalar with one element
  Shape(std::initializer_list<int64_t> dims);
  // Throws invalid_shape if rank > kMaxRank or a dim is negative; `what`
  // names the argument in the message ("input", "scale", ...).
  static Shape from(std::span<const int64_t> dims, const char* what = "shape");
  // Same shape with `rank` dims, all 1.
  static Shape ones(int rank);

  int rank() const { return rank_; }
  int64_t operator[](int i) const { return dims_[i]; }
  int64_t& operator[](int i) { return dims_[i]; }
  std::span<const int64_t> dims() const { return {dims_.data(), size_t(rank_)}; }
  const int64_t* begin() const { return dims_.data(); }
  const int64_t* end() const { return dims_.data() + rank_; }

  // Product of dims; nullopt if it overflows int64 (only possible when no
  // dim is zero).
  std::optional<int64_t> checked_numel() const;
  // Product of dims; callers must have checked it (Tensor always has).
  int64_t numel() const;

  void push_back(int64_t dim);

  bool operator==(const Shape& other) const;
  bool operator!=(const Shape& other) const { return !(*this == other); }

  std::string str() const;  // "[2, 4]", "[]" for rank 0

 private:
  std::array<int64_t, kMaxRank> dims_{};
  int rank_ = 0;
};

// The N-D index of flat row-major offset `flat` in `shape`, in place (an
// oracle walks every element of every value; a vector per element was most
// of its allocations).
struct ElementIndex {
  std::array<int64_t, kMaxRank> v{};
  int rank = 0;
  int64_t operator[](size_t d) const { return v[d]; }
  operator std::span<const int64_t>() const { return {v.data(), size_t(rank)}; }
};
inline ElementIndex element_index(const Shape& shape, int64_t flat) {
  ElementIndex index;
  index.rank = shape.rank();
  for (int d = shape.rank() - 1; d >= 0; --d) {
    if (shape[d] == 0) break;
    index.v[size_t(d)] = flat % shape[d];
    flat /= shape[d];
  }
  return index;
}

// Row-major strides in elements.
std::array<int64_t, kMaxRank> row_major_strides(const Shape& shape);

}  // namespace qdiff
