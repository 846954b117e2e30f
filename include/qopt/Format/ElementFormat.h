//===- ElementFormat.h - any element encoding, and name parsing -*- C++ -*-===//
//
// Part of qopt. Pure C++ (no MLIR).
//
//===----------------------------------------------------------------------===//
#ifndef QOPT_FORMAT_ELEMENTFORMAT_H
#define QOPT_FORMAT_ELEMENTFORMAT_H

#include "qopt/Format/FloatFormat.h"
#include "qopt/Format/IntFormat.h"
#include "qopt/Format/TableFormat.h"

#include <optional>
#include <string>
#include <string_view>
#include <variant>

namespace qopt::format {

/// One of: integer, minifloat, codebook.
class ElementFormat {
public:
  ElementFormat(IntFormat f) : impl(f) {}
  ElementFormat(FloatFormat f) : impl(f) {}
  ElementFormat(TableFormat f) : impl(std::move(f)) {}

  /// Parses a name: MLIR builtin float names (f8E4M3FN, f8E5M2, f8E4M3FNUZ,
  /// f8E5M2FNUZ, f8E4M3, f6E2M3FN, f6E3M2FN, f4E2M1FN, f8E8M0FNU, f16, bf16),
  /// ue4m3, ue5m3, integer names (i2..i16 / si*, ui2..ui16), nf4, and generic
  /// minifloats `eXmY[_fn|_fnuz|_ieee|_finite]` (default `_finite` below 8
  /// bits, `_fn` at 8) and `ueXmY[...]`. Returns nullopt on anything else.
  static std::optional<ElementFormat> parse(std::string_view name);

  bool isInt() const { return std::holds_alternative<IntFormat>(impl); }
  bool isFloat() const { return std::holds_alternative<FloatFormat>(impl); }
  bool isTable() const { return std::holds_alternative<TableFormat>(impl); }
  const IntFormat &getInt() const { return std::get<IntFormat>(impl); }
  const FloatFormat &getFloat() const { return std::get<FloatFormat>(impl); }
  const TableFormat &getTable() const { return std::get<TableFormat>(impl); }

  unsigned getBitWidth() const;
  uint32_t getNumCodes() const { return 1u << getBitWidth(); }
  /// The largest magnitude a code represents (int: max(|min|,max) of the
  /// symmetric range, i.e. 2^(b-1)-1 for signed).
  double getMaxAbs() const;
  /// Value of a code as a number (int: the integer).
  double decode(uint32_t code) const;
  /// Nearest code (int: rounded and saturated to the full range).
  uint32_t encode(double value, Rounding rounding = Rounding::NearestEven,
                  Overflow overflow = Overflow::Saturate) const;
  std::string getName() const;

  bool operator==(const ElementFormat &o) const { return impl == o.impl; }
  bool operator!=(const ElementFormat &o) const { return !(*this == o); }

private:
  std::variant<IntFormat, FloatFormat, TableFormat> impl;
};

} // namespace qopt::format

#endif // QOPT_FORMAT_ELEMENTFORMAT_H
