#include "core/contract.h"

namespace qdiff {

std::string_view contract_name(Contract c) {
  switch (c) {
    case Contract::torchao: return "torchao";
    case Contract::onnx: return "onnx";
    case Contract::half_away: return "half_away";
    case Contract::zp_before: return "zp_before";
  }
  return "?";
}

std::optional<Contract> parse_contract(std::string_view name) {
  for (Contract c : kAllContracts) {
    if (contract_name(c) == name) return c;
  }
  return std::nullopt;
}

std::string_view domain_name(ZeroPointDomain d) {
  switch (d) {
    case ZeroPointDomain::int_domain: return "int";
    case ZeroPointDomain::float_domain: return "float";
    case ZeroPointDomain::none: return "none";
  }
  return "?";
}

std::optional<ZeroPointDomain> parse_domain(std::string_view name) {
  for (ZeroPointDomain d : kAllDomains) {
    if (domain_name(d) == name) return d;
  }
  return std::nullopt;
}

std::string_view mapping_name(Mapping m) {
  switch (m) {
    case Mapping::symmetric: return "symmetric";
    case Mapping::symmetric_no_clipping_err: return "symmetric_no_clipping_err";
    case Mapping::asymmetric: return "asymmetric";
  }
  return "?";
}

std::optional<Mapping> parse_mapping(std::string_view name) {
  for (Mapping m : kAllMappings) {
    if (mapping_name(m) == name) return m;
  }
  return std::nullopt;
}

}  // namespace qdiff
