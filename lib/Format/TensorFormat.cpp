//===- TensorFormat.cpp - combination rules, presets, spec parsing ---------===//
//
// Part of qopt. Pure C++ (no MLIR).
//
//===----------------------------------------------------------------------===//
#include "qopt/Format/TensorFormat.h"

#include <cmath>
#include <set>

namespace qopt::format {

TensorFormat::TensorFormat(ElementFormat element, FloatFormat scale,
                           Granularity granularity, std::optional<FloatFormat> tensorScale,
                           std::optional<IntFormat> zeroPoint)
    : element(std::move(element)), scale(scale), granularity(std::move(granularity)),
      tensorScale(tensorScale), zeroPoint(zeroPoint) {}

static bool isE8M0(const FloatFormat &f) { return f.getVariant() == FloatVariant::E8M0; }

std::string TensorFormat::verify(const ElementFormat &element, const FloatFormat &scale,
                                 const Granularity &g,
                                 const std::optional<FloatFormat> &tensorScale,
                                 const std::optional<IntFormat> &zeroPoint) {
  // Granularity shape.
  switch (g.kind) {
  case Granularity::Kind::Tensor:
    if (!g.axes.empty() || !g.sizes.empty())
      return "a per-tensor format takes no axes or block sizes";
    break;
  case Granularity::Kind::Axis:
    if (g.axes.size() != 1 || !g.sizes.empty())
      return "a per-axis format takes exactly one axis and no block size";
    break;
  case Granularity::Kind::Block: {
    if (g.sizes.empty() || g.sizes.size() > 2)
      return "a block has 1 or 2 dimensions, got " + std::to_string(g.sizes.size());
    if (g.axes.size() != g.sizes.size())
      return "block has " + std::to_string(g.sizes.size()) + " sizes but " +
             std::to_string(g.axes.size()) + " axes";
    for (int64_t s : g.sizes)
      if (s < 1)
        return "block size must be positive, got " + std::to_string(s);
    if (g.axes.size() == 2 && g.axes[0] == g.axes[1])
      return "block axes must be distinct";
    break;
  }
  }
  // The scale must be a float able to hold the range of scales: at least 4
  // exponent bits (E8M0, UE4M3/E4M3, UE5M3, f16, bf16, f32).
  if (scale.getExpBits() < 4)
    return "scale format " + scale.getName() +
           " cannot hold the range of scales (needs at least 4 exponent bits, has " +
           std::to_string(scale.getExpBits()) + ")";
  if (scale.isSigned() && !scale.hasInf() && scale.getVariant() != FloatVariant::FN)
    return "scale format " + scale.getName() + " is not a scale encoding";
  // Zero points: integer elements only, never under power-of-two MX scales.
  if (zeroPoint) {
    if (!element.isInt())
      return "zero point on a non-integer element " + element.getName();
    if (isE8M0(scale))
      return "zero point with an E8M0 (MX) scale";
    if (tensorScale)
      return "zero point with a two-level (tensor) scale";
    if (zeroPoint->getBitWidth() < element.getInt().getBitWidth())
      return "zero point " + zeroPoint->getName() + " narrower than element " +
             element.getName();
  }
  if (element.isTable() && (isE8M0(scale) || tensorScale))
    return "codebook element " + element.getName() +
           " takes an absmax scale (no E8M0 or tensor scale)";
  if (isE8M0(scale) && tensorScale)
    return "an E8M0 (MX) scale takes no tensor scale";
  if (tensorScale) {
    if (!tensorScale->hasInf() || tensorScale->getBitWidth() < 16)
      return "tensor scale must be f32, f16 or bf16, got " + tensorScale->getName();
    if (g.kind == Granularity::Kind::Tensor)
      return "a tensor scale needs per-axis or block scales under it";
    if (scale.getBitWidth() > 8)
      return "a two-level format needs an 8-bit block scale, got " + scale.getName();
  }
  return "";
}

std::string TensorFormat::verifyShape(const std::vector<int64_t> &shape) const {
  int64_t rank = int64_t(shape.size());
  for (size_t i = 0; i < granularity.axes.size(); ++i) {
    int64_t a = granularity.axes[i];
    if (a < -rank || a >= rank)
      return "axis " + std::to_string(a) + " out of range for rank " + std::to_string(rank);
    if (granularity.kind == Granularity::Kind::Block) {
      int64_t d = a < 0 ? a + rank : a;
      int64_t s = granularity.sizes[i];
      if (shape[d] >= 0 && shape[d] % s != 0)
        return "block size " + std::to_string(s) + " does not divide dimension " +
               std::to_string(d) + " (" + std::to_string(shape[d]) + ")";
    }
  }
  if (granularity.axes.size() == 2) {
    int64_t a0 = granularity.axes[0] < 0 ? granularity.axes[0] + rank : granularity.axes[0];
    int64_t a1 = granularity.axes[1] < 0 ? granularity.axes[1] + rank : granularity.axes[1];
    if (a0 == a1)
      return "block axes name the same dimension " + std::to_string(a0);
  }
  return "";
}

ScaleRule TensorFormat::getScaleRule() const {
  if (zeroPoint)
    return ScaleRule::Affine;
  if (isE8M0(scale))
    return ScaleRule::MX;
  if (tensorScale)
    return ScaleRule::TwoLevel;
  return ScaleRule::AbsMax;
}

std::vector<int64_t> TensorFormat::getScaleShape(const std::vector<int64_t> &shape) const {
  int64_t rank = int64_t(shape.size());
  auto norm = [&](int64_t a) { return a < 0 ? a + rank : a; };
  std::vector<int64_t> out(shape.size(), 1);
  switch (granularity.kind) {
  case Granularity::Kind::Tensor:
    break;
  case Granularity::Kind::Axis:
    out[norm(granularity.axes[0])] = shape[norm(granularity.axes[0])];
    break;
  case Granularity::Kind::Block:
    out = shape;
    for (size_t i = 0; i < granularity.axes.size(); ++i)
      out[norm(granularity.axes[i])] = shape[norm(granularity.axes[i])] / granularity.sizes[i];
    break;
  }
  return out;
}

double TensorFormat::getBitsPerElement(const std::vector<int64_t> &shape) const {
  double n = 1, s = 1;
  for (int64_t d : shape)
    n *= double(d);
  for (int64_t d : getScaleShape(shape))
    s *= double(d);
  double bits = n * element.getBitWidth() + s * scale.getBitWidth();
  if (zeroPoint)
    bits += s * zeroPoint->getBitWidth();
  if (tensorScale)
    bits += tensorScale->getBitWidth();
  return n == 0 ? 0 : bits / n;
}

//===----------------------------------------------------------------------===//
// Presets and the textual spec
//===----------------------------------------------------------------------===//

namespace {
struct Preset {
  const char *name;
  const char *spec;
};
} // namespace

static const Preset kPresets[] = {
#define QOPT_PRESET(NAME, SPEC) {NAME, SPEC},
#include "qopt/Format/Presets.def"
};

/// Families with a group size: <prefix><N> -> spec with block=N.
static const Preset kGroupFamilies[] = {
    {"int4_g", "element=i4,scale=f32,axis=-1,block="},
    {"int8_g", "element=i8,scale=f32,axis=-1,block="},
    {"nf4_g", "element=nf4,scale=f32,axis=-1,block="},
};

static std::vector<std::string_view> split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  size_t start = 0;
  while (true) {
    size_t p = s.find(sep, start);
    out.push_back(s.substr(start, p == std::string_view::npos ? p : p - start));
    if (p == std::string_view::npos)
      break;
    start = p + 1;
  }
  return out;
}

static bool parseIntList(std::string_view s, std::vector<int64_t> &out) {
  for (std::string_view part : split(s, 'x')) {
    if (part.empty())
      return false;
    std::string str(part);
    char *end = nullptr;
    long long v = std::strtoll(str.c_str(), &end, 10);
    if (*end != '\0')
      return false;
    out.push_back(v);
  }
  return true;
}

std::optional<TensorFormat> TensorFormat::parse(std::string_view spec, std::string &error) {
  for (const Preset &p : kPresets)
    if (spec == p.name)
      return parse(p.spec, error);
  for (const Preset &f : kGroupFamilies) {
    std::string_view prefix = f.name;
    if (spec.substr(0, prefix.size()) == prefix && spec.size() > prefix.size()) {
      std::string longForm = std::string(f.spec) + std::string(spec.substr(prefix.size()));
      return parse(longForm, error);
    }
  }
  if (spec.find('=') == std::string_view::npos) {
    error = "unknown format preset '" + std::string(spec) + "'";
    return std::nullopt;
  }
  std::optional<ElementFormat> element;
  std::optional<FloatFormat> scale, tensorScale;
  std::optional<IntFormat> zeroPoint;
  std::vector<int64_t> block, axes, channel;
  std::set<std::string> seen;
  for (std::string_view item : split(spec, ',')) {
    size_t eq = item.find('=');
    if (eq == std::string_view::npos) {
      error = "expected key=value in format spec, got '" + std::string(item) + "'";
      return std::nullopt;
    }
    std::string key(item.substr(0, eq));
    std::string_view value = item.substr(eq + 1);
    if (!seen.insert(key).second) {
      error = "format spec key '" + key + "' given twice";
      return std::nullopt;
    }
    auto floatOf = [&](std::optional<FloatFormat> &dst) {
      auto f = ElementFormat::parse(value);
      if (!f || !f->isFloat()) {
        error = "'" + key + "' must be a float format, got '" + std::string(value) + "'";
        return false;
      }
      dst = f->getFloat();
      return true;
    };
    if (key == "element") {
      element = ElementFormat::parse(value);
      if (!element) {
        error = "unknown element format '" + std::string(value) + "'";
        return std::nullopt;
      }
    } else if (key == "scale" || key == "tensor_scale") {
      if (!floatOf(key == "scale" ? scale : tensorScale))
        return std::nullopt;
    } else if (key == "zero_point") {
      auto f = ElementFormat::parse(value);
      if (!f || !f->isInt()) {
        error = "'zero_point' must be an integer format, got '" + std::string(value) + "'";
        return std::nullopt;
      }
      zeroPoint = f->getInt();
    } else if (key == "block" || key == "axis" || key == "channel") {
      std::vector<int64_t> &dst = key == "block" ? block : key == "axis" ? axes : channel;
      if (!parseIntList(value, dst)) {
        error = "'" + key + "' must be integers separated by 'x', got '" +
                std::string(value) + "'";
        return std::nullopt;
      }
    } else {
      error = "unknown format spec key '" + key + "'";
      return std::nullopt;
    }
  }
  if (!element || !scale) {
    error = "format spec needs 'element' and 'scale'";
    return std::nullopt;
  }
  Granularity g;
  if (!channel.empty()) {
    if (!block.empty() || !axes.empty() || channel.size() != 1) {
      error = "'channel' takes one axis and excludes 'block'/'axis'";
      return std::nullopt;
    }
    g = Granularity::perAxis(channel[0]);
  } else if (!block.empty()) {
    if (axes.empty()) // default: the trailing axes
      for (size_t i = 0; i < block.size(); ++i)
        axes.push_back(-int64_t(block.size()) + int64_t(i));
    g = Granularity::blocks(axes, block);
  } else if (!axes.empty()) {
    error = "'axis' needs 'block' (use 'channel' for per-axis scales)";
    return std::nullopt;
  }
  error = verify(*element, *scale, g, tensorScale, zeroPoint);
  if (!error.empty())
    return std::nullopt;
  return TensorFormat(*element, *scale, g, tensorScale, zeroPoint);
}

std::optional<std::string> TensorFormat::getPresetName() const {
  std::string err;
  for (const Preset &p : kPresets)
    if (auto f = parse(p.spec, err); f && *f == *this)
      return std::string(p.name);
  if (granularity.kind == Granularity::Kind::Block && granularity.sizes.size() == 1 &&
      granularity.axes[0] == -1) {
    std::string n = std::to_string(granularity.sizes[0]);
    for (const Preset &fam : kGroupFamilies)
      if (auto f = parse(std::string(fam.spec) + n, err); f && *f == *this)
        return std::string(fam.name) + n;
  }
  return std::nullopt;
}

std::vector<std::string> TensorFormat::getPresetNames() {
  std::vector<std::string> out;
  for (const Preset &p : kPresets)
    out.push_back(p.name);
  for (const Preset &fam : kGroupFamilies)
    for (int n : {32, 64, 128})
      out.push_back(std::string(fam.name) + std::to_string(n));
  return out;
}

} // namespace qopt::format
