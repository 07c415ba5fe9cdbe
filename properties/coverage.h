// Coverage: what a run generated, by dimension (layout class, rank, dtype,
// contract, zero-point domain, outcome), so a report can show that the
// generators reach every corner they claim to.
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "cases/case.h"

namespace qdiff::props {

struct Coverage {
  // dimension -> value -> count, e.g. "layout" -> "per_group" -> 41
  std::map<std::string, std::map<std::string, int64_t>> counts;

  void add(const std::string& dimension, const std::string& value, int64_t n = 1) {
    counts[dimension][value] += n;
  }
  void add_case(const Case& c);
  void add_affine_case(const AffineCase& c);
  void merge(const Coverage& other);
  int64_t distinct(const std::string& dimension) const;
  // "per_tensor 120, per_channel 98, ..." for one dimension.
  std::string line(const std::string& dimension) const;
  // A compact cell for tables: "4/4" layouts, "0-6" ranks.
  std::string layouts_cell() const;
  std::string ranks_cell() const;
};

// The tags of one case: layout class by BlockLayout (or "invalid" when
// the shapes are rejected), quant type name, etc.
std::string layout_tag(const AffineCase& c);
std::string quant_type_tag(DType storage, int64_t qmin, int64_t qmax);

}  // namespace qdiff::props
