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

// Row-major strides in elements.
std::array<int64_t, kMaxRank> row_major_strides(const Shape& shape);

}  // namespace qdiff
