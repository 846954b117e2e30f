//===- ElementFormat.cpp - any element encoding, and name parsing ----------===//
//
// Part of qopt. Pure C++ (no MLIR).
//
//===----------------------------------------------------------------------===//
#include "qopt/Format/ElementFormat.h"

#include <cctype>
#include <cmath>
#include <cstdlib>

namespace qopt::format {

/// Parses a decimal integer prefix of `s` into `out`, advancing `s`.
static bool consumeInt(std::string_view &s, int &out) {
  size_t i = 0;
  while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i])))
    ++i;
  if (i == 0 || i > 4)
    return false;
  out = std::atoi(std::string(s.substr(0, i)).c_str());
  s.remove_prefix(i);
  return true;
}

static std::optional<FloatFormat> parseGenericFloat(std::string_view s) {
  bool hasSign = true;
  if (!s.empty() && s[0] == 'u') {
    hasSign = false;
    s.remove_prefix(1);
  }
  int e = 0, m = 0;
  if (s.empty() || s[0] != 'e')
    return std::nullopt;
  s.remove_prefix(1);
  if (!consumeInt(s, e) || s.empty() || s[0] != 'm')
    return std::nullopt;
  s.remove_prefix(1);
  if (!consumeInt(s, m))
    return std::nullopt;
  unsigned width = (hasSign ? 1 : 0) + e + m;
  if (e < 1 || width < 2 || width > 16)
    return std::nullopt;
  FloatVariant variant = width < 8 ? FloatVariant::Finite
                         : width == 8 ? FloatVariant::FN
                                      : FloatVariant::IEEE;
  std::optional<int> bias;
  while (!s.empty()) {
    if (s.substr(0, 3) == "_fn" && (s.size() == 3 || s[3] == '_')) {
      variant = FloatVariant::FN;
      s.remove_prefix(3);
    } else if (s.substr(0, 5) == "_fnuz") {
      variant = FloatVariant::FNUZ;
      s.remove_prefix(5);
    } else if (s.substr(0, 5) == "_ieee") {
      variant = FloatVariant::IEEE;
      s.remove_prefix(5);
    } else if (s.substr(0, 7) == "_finite") {
      variant = FloatVariant::Finite;
      s.remove_prefix(7);
    } else if (s.substr(0, 2) == "_b") {
      s.remove_prefix(2);
      int b;
      if (!consumeInt(s, b))
        return std::nullopt;
      bias = b;
    } else {
      return std::nullopt;
    }
  }
  // Layout constraints of each variant.
  if (variant == FloatVariant::FNUZ && !hasSign)
    return std::nullopt;
  if (variant == FloatVariant::IEEE && e < 2)
    return std::nullopt;
  if (bias)
    return FloatFormat(unsigned(e), unsigned(m), variant, hasSign, *bias);
  return FloatFormat(unsigned(e), unsigned(m), variant, hasSign);
}

std::optional<ElementFormat> ElementFormat::parse(std::string_view name) {
  static const std::pair<const char *, FloatFormat> builtins[] = {
      {"f8E4M3FN", FloatFormat::e4m3fn()},     {"f8E4M3", FloatFormat::e4m3()},
      {"f8E5M2", FloatFormat::e5m2()},         {"f8E4M3FNUZ", FloatFormat::e4m3fnuz()},
      {"f8E5M2FNUZ", FloatFormat::e5m2fnuz()}, {"f6E2M3FN", FloatFormat::e2m3fn()},
      {"f6E3M2FN", FloatFormat::e3m2fn()},     {"f4E2M1FN", FloatFormat::e2m1fn()},
      {"f8E8M0FNU", FloatFormat::e8m0fnu()},   {"ue4m3", FloatFormat::ue4m3()},
      {"ue5m3", FloatFormat::ue5m3()},         {"f16", FloatFormat::f16()},
      {"bf16", FloatFormat::bf16()},           {"f32", FloatFormat::f32()},
      {"f8E3M4", FloatFormat(3, 4, FloatVariant::IEEE)},
      {"f8E4M3B11FNUZ", FloatFormat(4, 3, FloatVariant::FNUZ, true, 11)},
  };
  for (const auto &[n, f] : builtins)
    if (name == n)
      return ElementFormat(f);
  if (name == "nf4")
    return ElementFormat(TableFormat::nf4());
  // Integers: iN / siN (signed), uiN (unsigned), N in 2..16.
  std::string_view s = name;
  bool isSigned = true;
  if (s.substr(0, 2) == "ui") {
    isSigned = false;
    s.remove_prefix(2);
  } else if (s.substr(0, 2) == "si") {
    s.remove_prefix(2);
  } else if (s.substr(0, 1) == "i") {
    s.remove_prefix(1);
  } else {
    s = {};
  }
  int bits;
  std::string_view digits = s;
  if (!s.empty() && consumeInt(digits, bits) && digits.empty() && bits >= 2 && bits <= 16)
    return ElementFormat(IntFormat(unsigned(bits), isSigned));
  if (auto f = parseGenericFloat(name))
    return ElementFormat(*f);
  return std::nullopt;
}

unsigned ElementFormat::getBitWidth() const {
  return std::visit([](const auto &f) { return f.getBitWidth(); }, impl);
}

double ElementFormat::getMaxAbs() const {
  if (isInt())
    return double(getInt().getMax());
  if (isFloat())
    return getFloat().getMaxFinite();
  return getTable().getMaxAbs();
}

double ElementFormat::decode(uint32_t code) const {
  if (isInt())
    return double(getInt().decode(code));
  if (isFloat())
    return getFloat().decode(code);
  return getTable().decode(code);
}

uint32_t ElementFormat::encode(double value, Rounding rounding, Overflow overflow) const {
  if (isInt())
    return getInt().encode(value, rounding);
  if (isFloat())
    return getFloat().encode(value, rounding, overflow);
  return getTable().encode(value);
}

std::string ElementFormat::getName() const {
  return std::visit([](const auto &f) { return std::string(f.getName()); }, impl);
}

} // namespace qopt::format
