// The choices real libraries disagree on (SPEC sections 2, 3, 6), as enums
// with stable names used by case files and reports.
//
// | contract   | scaling          | rounding         | zero point            |
// | torchao    | v = x * f32(1/s) | half to even     | added after rounding  |
// | onnx       | v = x / s        | half to even     | added after rounding  |
// | half_away  | v = x / s        | half away from 0 | added after rounding  |
// | zp_before  | v = x * f32(1/s) | half to even     | round(f32(v + zp))    |
#pragma once

#include <optional>
#include <string_view>

namespace qdiff {

enum class Contract { torchao, onnx, half_away, zp_before };
enum class ZeroPointDomain { int_domain, float_domain, none };
enum class Mapping { symmetric, symmetric_no_clipping_err, asymmetric };

inline constexpr Contract kAllContracts[] = {Contract::torchao, Contract::onnx,
                                             Contract::half_away, Contract::zp_before};
inline constexpr ZeroPointDomain kAllDomains[] = {
    ZeroPointDomain::int_domain, ZeroPointDomain::float_domain, ZeroPointDomain::none};
inline constexpr Mapping kAllMappings[] = {
    Mapping::symmetric, Mapping::symmetric_no_clipping_err, Mapping::asymmetric};

std::string_view contract_name(Contract c);
std::optional<Contract> parse_contract(std::string_view name);
std::string_view domain_name(ZeroPointDomain d);  // "int", "float", "none"
std::optional<ZeroPointDomain> parse_domain(std::string_view name);
std::string_view mapping_name(Mapping m);
std::optional<Mapping> parse_mapping(std::string_view name);

// Whether the contract scales by multiplying with f32(1/s) (else divides).
inline bool scales_by_reciprocal(Contract c) {
  return c == Contract::torchao || c == Contract::zp_before;
}

}  // namespace qdiff
