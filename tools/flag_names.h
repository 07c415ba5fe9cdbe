// Names given on the command line (ISA, fault point, property filter)
// resolved strictly: an unknown name is a usage error that lists the
// valid ones, so a typo never runs nothing and passes.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "impl/fault_points.h"
#include "impl/options.h"

namespace qdiff::tools {

// The ISA named by a flag, if it exists and this CPU supports it; else
// prints why (with the valid names) and returns nullopt.
std::optional<impl::Isa> isa_from_flag(const std::string& name);

// The fault point named by a flag; else prints the valid names.
std::optional<impl::FaultPoint> fault_from_flag(const std::string& name);
// Why `name` is no fault point (listing the valid ones), or "" when it is
// one: a CLI11 validator's message.
std::string fault_name_problem(const std::string& name);

// True when every --property filter matches some property; else prints
// the filters that match none and every property name.
bool property_filters_match(const std::vector<std::string>& filters);

}  // namespace qdiff::tools
