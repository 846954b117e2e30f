//===- Shape.cpp - ONNX shape and data-movement ops ------------------------===//
//
// Part of qopt. Reshape Transpose Squeeze Unsqueeze Flatten Concat Split
// Slice Gather Expand Shape Size ConstantOfShape Constant Range Tile. Values
// known at import time are folded (shape arithmetic chains), so every shape
// is static after import.
//
//===----------------------------------------------------------------------===//
#include "../ImporterImpl.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/MathExtras.h"

#include <numeric>

using namespace mlir;
using namespace mlir::qopt::onnx_import;

static std::string str(ArrayRef<int64_t> v) {
  return "[" + llvm::join(llvm::map_range(v, [](int64_t d) { return std::to_string(d); }), ", ") + "]";
}

static int64_t product(ArrayRef<int64_t> v) {
  return std::accumulate(v.begin(), v.end(), int64_t(1), std::multiplies<int64_t>());
}

static std::vector<int64_t> stridesOf(ArrayRef<int64_t> shape) {
  std::vector<int64_t> s(shape.size(), 1);
  for (int64_t i = int64_t(shape.size()) - 2; i >= 0; --i)
    s[i] = s[i + 1] * shape[i + 1];
  return s;
}

/// The integer values of input `i`, which must be known at import time.
static LogicalResult constInts(NodeContext &n, size_t i, StringRef what, std::vector<int64_t> &out) {
  const ConstTensor *c = n.constant(i);
  if (!c)
    return n.emitError() << "input '" << what
                         << "' must be known at import time (a constant or folded shape computation)";
  out.clear();
  for (int64_t k = 0; k < c->numElements(); ++k)
    out.push_back(c->intAt(k));
  return success();
}

/// Gathers elements of a constant by a list of linear source indices.
static ConstTensor gatherConst(const ConstTensor &c, std::vector<int64_t> shape,
                               ArrayRef<int64_t> src) {
  ConstTensor r;
  r.dtype = c.dtype;
  r.shape = std::move(shape);
  for (int64_t s : src) {
    if (c.isInt())
      r.ints.push_back(c.ints[s]);
    else
      r.floats.push_back(c.floats[s]);
  }
  return r;
}

/// Output element -> input element map for an n-d "view" defined per output
/// index; used by the constant folders of Transpose/Slice/Gather/Expand.
template <typename Fn>
static std::vector<int64_t> mapIndices(ArrayRef<int64_t> outShape, Fn srcOf) {
  std::vector<int64_t> out, idx(outShape.size(), 0);
  int64_t n = product(outShape);
  for (int64_t i = 0; i < n; ++i) {
    out.push_back(srcOf(idx));
    for (int64_t d = int64_t(outShape.size()) - 1; d >= 0; --d) {
      if (++idx[d] < outShape[d])
        break;
      idx[d] = 0;
    }
  }
  return out;
}

static LogicalResult reshapeTo(NodeContext &n, ArrayRef<int64_t> shape) {
  if (product(shape) != product(n.shapeOf(0)))
    return n.emitError() << "cannot reshape " << str(n.shapeOf(0)) << " to " << str(shape);
  if (const ConstTensor *c = n.constant(0)) {
    ConstTensor r = *c;
    r.shape.assign(shape.begin(), shape.end());
    return n.setConstOutput(0, std::move(r));
  }
  return n.setOutput(0, buildReshape(n.builder(), n.getLoc(), n.input(0), shape), n.dtypeOf(0));
}

static LogicalResult importReshape(NodeContext &n) {
  std::vector<int64_t> spec;
  if (n.getOpset() < 5) {
    auto s = n.intsAttr("shape");
    if (!s)
      return n.emitError() << "missing attribute 'shape'";
    spec = *s;
  } else if (failed(constInts(n, 1, "shape", spec))) {
    return failure();
  }
  bool allowZero = n.intAttr("allowzero", 0);
  const auto &in = n.shapeOf(0);
  std::vector<int64_t> shape;
  int64_t inferAt = -1, known = 1;
  for (size_t i = 0; i < spec.size(); ++i) {
    int64_t d = spec[i];
    if (d == 0 && !allowZero) {
      if (i >= in.size())
        return n.emitError() << "shape entry " << i << " is 0 but the input has rank " << in.size();
      d = in[i];
    }
    if (d == -1) {
      if (inferAt >= 0)
        return n.emitError() << "shape " << str(spec) << " has more than one -1";
      inferAt = int64_t(i);
      shape.push_back(1);
      continue;
    }
    if (d < 0)
      return n.emitError() << "shape " << str(spec) << " has a negative entry";
    shape.push_back(d);
    known *= d;
  }
  if (inferAt >= 0) {
    if (known == 0 || product(in) % known != 0)
      return n.emitError() << "cannot infer the -1 in " << str(spec) << " from input " << str(in);
    shape[inferAt] = product(in) / known;
  }
  return reshapeTo(n, shape);
}

static LogicalResult importTranspose(NodeContext &n) {
  const auto &in = n.shapeOf(0);
  std::vector<int64_t> perm;
  if (auto p = n.intsAttr("perm"))
    perm = *p;
  else
    for (int64_t i = int64_t(in.size()) - 1; i >= 0; --i)
      perm.push_back(i);
  std::vector<int64_t> sorted = perm;
  std::sort(sorted.begin(), sorted.end());
  for (size_t i = 0; i < sorted.size(); ++i)
    if (sorted[i] != int64_t(i) || perm.size() != in.size())
      return n.emitError() << "perm " << str(perm) << " is not a permutation of rank " << in.size();
  std::vector<int64_t> out;
  for (int64_t p : perm)
    out.push_back(in[p]);
  if (const ConstTensor *c = n.constant(0)) {
    auto st = stridesOf(in);
    auto src = mapIndices(out, [&](ArrayRef<int64_t> idx) {
      int64_t s = 0;
      for (size_t d = 0; d < idx.size(); ++d)
        s += idx[d] * st[perm[d]];
      return s;
    });
    return n.setConstOutput(0, gatherConst(*c, out, src));
  }
  return n.setOutput(0, buildTranspose(n.builder(), n.getLoc(), n.input(0), perm), n.dtypeOf(0));
}

/// Axes from the attribute (older opsets) or input 1 (opset >= `inputSince`).
static LogicalResult axesOf(NodeContext &n, int64_t inputSince, std::vector<int64_t> &axes,
                            bool &given) {
  given = false;
  if (n.getOpset() >= inputSince) {
    if (n.hasInput(1)) {
      given = true;
      return constInts(n, 1, "axes", axes);
    }
    return success();
  }
  if (auto a = n.intsAttr("axes")) {
    axes = *a;
    given = true;
  }
  return success();
}

static LogicalResult importSqueeze(NodeContext &n) {
  std::vector<int64_t> axes;
  bool given;
  if (failed(axesOf(n, 13, axes, given)))
    return failure();
  const auto &in = n.shapeOf(0);
  std::vector<bool> drop(in.size(), false);
  if (!given) {
    for (size_t i = 0; i < in.size(); ++i)
      drop[i] = in[i] == 1;
  }
  for (int64_t a : axes) {
    auto ax = normalizeAxis(a, int64_t(in.size()));
    if (!ax)
      return n.emitError() << "axis " << a << " out of range for rank " << in.size();
    if (in[*ax] != 1)
      return n.emitError() << "cannot squeeze axis " << a << " of size " << in[*ax];
    drop[*ax] = true;
  }
  std::vector<int64_t> out;
  for (size_t i = 0; i < in.size(); ++i)
    if (!drop[i])
      out.push_back(in[i]);
  return reshapeTo(n, out);
}

static LogicalResult importUnsqueeze(NodeContext &n) {
  std::vector<int64_t> axes;
  bool given;
  if (failed(axesOf(n, 13, axes, given)))
    return failure();
  if (!given)
    return n.emitError() << "needs axes";
  const auto &in = n.shapeOf(0);
  int64_t rank = int64_t(in.size() + axes.size());
  std::vector<bool> inserted(rank, false);
  for (int64_t a : axes) {
    auto ax = normalizeAxis(a, rank);
    if (!ax || inserted[*ax])
      return n.emitError() << "bad or repeated axis " << a << " for output rank " << rank;
    inserted[*ax] = true;
  }
  std::vector<int64_t> out;
  size_t k = 0;
  for (int64_t i = 0; i < rank; ++i)
    out.push_back(inserted[i] ? 1 : in[k++]);
  return reshapeTo(n, out);
}

static LogicalResult importFlatten(NodeContext &n) {
  const auto &in = n.shapeOf(0);
  int64_t axis = n.intAttr("axis", 1), rank = int64_t(in.size());
  if (axis < -rank || axis > rank)
    return n.emitError() << "axis " << axis << " out of range for rank " << rank;
  if (axis < 0)
    axis += rank;
  std::vector<int64_t> out = {product(ArrayRef<int64_t>(in).take_front(axis)),
                              product(ArrayRef<int64_t>(in).drop_front(axis))};
  return reshapeTo(n, out);
}

static LogicalResult importConcat(NodeContext &n) {
  if (n.numInputs() < 1)
    return n.emitError() << "expects inputs";
  int64_t rank = int64_t(n.shapeOf(0).size());
  auto axis = normalizeAxis(n.intAttr("axis", 0), rank);
  if (!n.hasAttr("axis") || !axis)
    return n.emitError() << "needs a valid 'axis' for rank " << rank;
  std::vector<int64_t> out = n.shapeOf(0);
  out[*axis] = 0;
  bool allConst = true;
  for (size_t i = 0; i < n.numInputs(); ++i) {
    const auto &s = n.shapeOf(i);
    if (int64_t(s.size()) != rank || n.dtypeOf(i) != n.dtypeOf(0))
      return n.emitError() << "input " << i << " has a different rank or type";
    for (int64_t d = 0; d < rank; ++d)
      if (d != *axis && s[d] != out[d])
        return n.emitError() << "input " << i << " shape " << str(s) << " does not match "
                             << str(n.shapeOf(0)) << " outside axis " << *axis;
    out[*axis] += s[*axis];
    allConst &= n.constant(i) != nullptr;
  }
  if (allConst) {
    ConstTensor r;
    r.dtype = n.dtypeOf(0);
    r.shape = out;
    int64_t outer = product(ArrayRef<int64_t>(out).take_front(*axis));
    for (int64_t o = 0; o < outer; ++o)
      for (size_t i = 0; i < n.numInputs(); ++i) {
        const ConstTensor *c = n.constant(i);
        int64_t chunk = product(ArrayRef<int64_t>(c->shape).drop_front(*axis));
        for (int64_t k = 0; k < chunk; ++k) {
          if (c->isInt())
            r.ints.push_back(c->ints[o * chunk + k]);
          else
            r.floats.push_back(c->floats[o * chunk + k]);
        }
      }
    return n.setConstOutput(0, std::move(r));
  }
  OpBuilder &b = n.builder();
  Location loc = n.getLoc();
  Value acc = tensor::EmptyOp::create(b, loc, out, elementTypeOf(n.getContext(), n.dtypeOf(0)));
  int64_t offset = 0;
  for (size_t i = 0; i < n.numInputs(); ++i) {
    const auto &s = n.shapeOf(i);
    SmallVector<OpFoldResult> offs(rank, b.getIndexAttr(0)), sizes, strides(rank, b.getIndexAttr(1));
    for (int64_t d = 0; d < rank; ++d)
      sizes.push_back(b.getIndexAttr(s[d]));
    offs[*axis] = b.getIndexAttr(offset);
    offset += s[*axis];
    if (s[*axis] == 0)
      continue;
    acc = tensor::InsertSliceOp::create(b, loc, n.input(i), acc, offs, sizes, strides);
  }
  return n.setOutput(0, acc, n.dtypeOf(0));
}

/// out[idx] = in[start + idx * step] along each axis (others: identity): a
/// strided tensor.extract_slice over the covered range, then a reversal of
/// the axes with negative steps.
static Value stridedView(OpBuilder &b, Location loc, Value input, ArrayRef<int64_t> outShape,
                         ArrayRef<int64_t> starts, ArrayRef<int64_t> steps) {
  auto t = cast<RankedTensorType>(input.getType());
  MLIRContext *ctx = b.getContext();
  int64_t rank = t.getRank();
  if (product(outShape) == 0)
    return tensor::EmptyOp::create(b, loc, outShape, t.getElementType());
  SmallVector<OpFoldResult> offs, sizes, strides;
  bool reverse = false;
  for (int64_t d = 0; d < rank; ++d) {
    int64_t lo = steps[d] > 0 ? starts[d] : starts[d] + (outShape[d] - 1) * steps[d];
    offs.push_back(b.getIndexAttr(lo));
    sizes.push_back(b.getIndexAttr(outShape[d]));
    strides.push_back(b.getIndexAttr(std::abs(steps[d])));
    reverse |= steps[d] < 0 && outShape[d] > 1;
  }
  Value slice = tensor::ExtractSliceOp::create(
      b, loc, RankedTensorType::get(outShape, t.getElementType()), input, offs, sizes, strides);
  if (!reverse)
    return slice;
  SmallVector<AffineExpr> e;
  for (int64_t d = 0; d < rank; ++d)
    e.push_back(steps[d] < 0 ? outShape[d] - 1 - getAffineDimExpr(d, ctx) : getAffineDimExpr(d, ctx));
  Value init = tensor::EmptyOp::create(b, loc, outShape, t.getElementType());
  SmallVector<utils::IteratorType> iters(rank, utils::IteratorType::parallel);
  auto op = linalg::GenericOp::create(
      b, loc, TypeRange{init.getType()}, ValueRange{slice}, ValueRange{init},
      SmallVector<AffineMap>{AffineMap::get(rank, 0, e, ctx),
                             AffineMap::getMultiDimIdentityMap(rank, ctx)},
      iters, [](OpBuilder &nb, Location l, ValueRange a) { linalg::YieldOp::create(nb, l, a[0]); });
  return op.getResult(0);
}

static LogicalResult importSlice(NodeContext &n) {
  const auto &in = n.shapeOf(0);
  int64_t rank = int64_t(in.size());
  std::vector<int64_t> starts, ends, axes, steps;
  if (n.getOpset() < 10) {
    starts = n.intsAttr("starts").value_or(std::vector<int64_t>{});
    ends = n.intsAttr("ends").value_or(std::vector<int64_t>{});
    axes = n.intsAttr("axes").value_or(std::vector<int64_t>{});
  } else {
    if (failed(constInts(n, 1, "starts", starts)) || failed(constInts(n, 2, "ends", ends)))
      return failure();
    if (n.hasInput(3) && failed(constInts(n, 3, "axes", axes)))
      return failure();
    if (n.hasInput(4) && failed(constInts(n, 4, "steps", steps)))
      return failure();
  }
  if (axes.empty())
    for (size_t i = 0; i < starts.size(); ++i)
      axes.push_back(int64_t(i));
  if (steps.empty())
    steps.assign(starts.size(), 1);
  if (starts.size() != ends.size() || axes.size() != starts.size() || steps.size() != starts.size())
    return n.emitError() << "starts, ends, axes and steps must have the same length";
  std::vector<int64_t> outShape = in, st(rank, 0), sp(rank, 1);
  std::vector<bool> seen(rank, false);
  for (size_t i = 0; i < axes.size(); ++i) {
    auto ax = normalizeAxis(axes[i], rank);
    if (!ax || seen[*ax])
      return n.emitError() << "bad or repeated axis " << axes[i];
    seen[*ax] = true;
    int64_t dim = in[*ax], step = steps[i];
    if (step == 0)
      return n.emitError() << "step 0 on axis " << axes[i];
    int64_t s = starts[i], e = ends[i];
    if (s < 0)
      s += dim;
    if (e < 0)
      e += dim;
    int64_t size;
    if (step > 0) {
      s = std::clamp<int64_t>(s, 0, dim);
      e = std::clamp<int64_t>(e, 0, dim);
      size = e > s ? (e - s + step - 1) / step : 0;
    } else {
      s = std::clamp<int64_t>(s, 0, dim - 1);
      e = std::clamp<int64_t>(e, -1, dim - 1);
      size = s > e ? (s - e + (-step) - 1) / (-step) : 0;
    }
    outShape[*ax] = size;
    st[*ax] = s;
    sp[*ax] = step;
  }
  if (const ConstTensor *c = n.constant(0)) {
    auto strides = stridesOf(in);
    auto src = mapIndices(outShape, [&](ArrayRef<int64_t> idx) {
      int64_t s = 0;
      for (int64_t d = 0; d < rank; ++d)
        s += (st[d] + idx[d] * sp[d]) * strides[d];
      return s;
    });
    return n.setConstOutput(0, gatherConst(*c, outShape, src));
  }
  return n.setOutput(0, stridedView(n.builder(), n.getLoc(), n.input(0), outShape, st, sp),
                     n.dtypeOf(0));
}

static LogicalResult importGather(NodeContext &n) {
  const auto &ds = n.shapeOf(0), &is = n.shapeOf(1);
  int64_t rank = int64_t(ds.size());
  auto axis = normalizeAxis(n.intAttr("axis", 0), rank);
  if (!axis || rank == 0)
    return n.emitError() << "axis " << n.intAttr("axis", 0) << " out of range for rank " << rank;
  if (n.dtypeOf(1) != dtype::Int64 && n.dtypeOf(1) != dtype::Int32)
    return n.emitError() << "indices must be INT32 or INT64";
  std::vector<int64_t> out(ds.begin(), ds.begin() + *axis);
  out.insert(out.end(), is.begin(), is.end());
  out.insert(out.end(), ds.begin() + *axis + 1, ds.end());
  int64_t dim = ds[*axis];
  if (const ConstTensor *ci = n.constant(1)) {
    for (int64_t k = 0; k < ci->numElements(); ++k)
      if (ci->ints[k] < -dim || ci->ints[k] >= dim)
        return n.emitError() << "index " << ci->ints[k] << " out of range for axis size " << dim;
    if (const ConstTensor *cd = n.constant(0)) {
      auto strides = stridesOf(ds);
      int64_t ir = int64_t(is.size());
      auto istr = stridesOf(is);
      auto src = mapIndices(out, [&](ArrayRef<int64_t> idx) {
        int64_t s = 0, lin = 0;
        for (int64_t d = 0; d < *axis; ++d)
          s += idx[d] * strides[d];
        for (int64_t d = 0; d < ir; ++d)
          lin += idx[*axis + d] * istr[d];
        int64_t v = ci->ints[lin];
        s += (v < 0 ? v + dim : v) * strides[*axis];
        for (int64_t d = *axis + 1; d < rank; ++d)
          s += idx[d - 1 + ir] * strides[d];
        return s;
      });
      return n.setConstOutput(0, gatherConst(*cd, out, src));
    }
  }
  OpBuilder &b = n.builder();
  Location loc = n.getLoc();
  MLIRContext *ctx = b.getContext();
  int64_t orank = int64_t(out.size()), ir = int64_t(is.size());
  SmallVector<AffineExpr> ie;
  for (int64_t d = 0; d < ir; ++d)
    ie.push_back(getAffineDimExpr(*axis + d, ctx));
  Value data = n.input(0);
  Type elem = elementTypeOf(ctx, n.dtypeOf(0));
  Value init = tensor::EmptyOp::create(b, loc, out, elem);
  SmallVector<utils::IteratorType> iters(orank, utils::IteratorType::parallel);
  auto op = linalg::GenericOp::create(
      b, loc, TypeRange{init.getType()}, ValueRange{n.input(1)}, ValueRange{init},
      SmallVector<AffineMap>{AffineMap::get(orank, 0, ie, ctx),
                             AffineMap::getMultiDimIdentityMap(orank, ctx)},
      iters, [&](OpBuilder &nb, Location l, ValueRange a) {
        Value idx = arith::IndexCastOp::create(nb, l, nb.getIndexType(), a[0]);
        Value dimV = arith::ConstantIndexOp::create(nb, l, dim);
        Value zero = arith::ConstantIndexOp::create(nb, l, 0);
        Value isNeg = arith::CmpIOp::create(nb, l, arith::CmpIPredicate::slt, idx, zero);
        idx = arith::SelectOp::create(nb, l, isNeg, arith::AddIOp::create(nb, l, idx, dimV), idx);
        // Out-of-range indices are undefined in ONNX; clamp to stay in bounds.
        idx = arith::MaxSIOp::create(nb, l, idx, zero);
        idx = arith::MinSIOp::create(nb, l, idx, arith::ConstantIndexOp::create(nb, l, dim - 1));
        SmallVector<Value> coords;
        for (int64_t d = 0; d < *axis; ++d)
          coords.push_back(linalg::IndexOp::create(nb, l, d));
        coords.push_back(idx);
        for (int64_t d = *axis + 1; d < rank; ++d)
          coords.push_back(linalg::IndexOp::create(nb, l, d - 1 + ir));
        linalg::YieldOp::create(nb, l, tensor::ExtractOp::create(nb, l, data, coords).getResult());
      });
  return n.setOutput(0, op.getResult(0), n.dtypeOf(0));
}

/// out[i] = data[i with axis replaced by indices[i]] (indices same rank).
static LogicalResult importGatherElements(NodeContext &n) {
  const auto &ds = n.shapeOf(0), &is = n.shapeOf(1);
  int64_t rank = int64_t(ds.size());
  auto axis = normalizeAxis(n.intAttr("axis", 0), rank);
  if (!axis || rank == 0 || int64_t(is.size()) != rank)
    return n.emitError() << "data and indices must have the same rank and a valid axis";
  for (int64_t d = 0; d < rank; ++d)
    if (d != *axis && is[d] > ds[d])
      return n.emitError() << "indices dim " << d << " (" << is[d] << ") exceeds data dim ("
                           << ds[d] << ")";
  if (n.dtypeOf(1) != dtype::Int64 && n.dtypeOf(1) != dtype::Int32)
    return n.emitError() << "indices must be INT32 or INT64";
  OpBuilder &b = n.builder();
  Location loc = n.getLoc();
  MLIRContext *ctx = b.getContext();
  Value data = n.input(0);
  int64_t dim = ds[*axis];
  Value init = tensor::EmptyOp::create(b, loc, is, elementTypeOf(ctx, n.dtypeOf(0)));
  AffineMap id = AffineMap::getMultiDimIdentityMap(rank, ctx);
  auto op = linalg::GenericOp::create(
      b, loc, TypeRange{init.getType()}, ValueRange{n.input(1)}, ValueRange{init},
      SmallVector<AffineMap>{id, id},
      SmallVector<utils::IteratorType>(rank, utils::IteratorType::parallel),
      [&](OpBuilder &nb, Location l, ValueRange a) {
        Value idx = arith::IndexCastOp::create(nb, l, nb.getIndexType(), a[0]);
        Value zero = arith::ConstantIndexOp::create(nb, l, 0);
        Value isNeg = arith::CmpIOp::create(nb, l, arith::CmpIPredicate::slt, idx, zero);
        idx = arith::SelectOp::create(
            nb, l, isNeg, arith::AddIOp::create(nb, l, idx, arith::ConstantIndexOp::create(nb, l, dim)),
            idx);
        // Out-of-range indices are undefined in ONNX; clamp to stay in bounds.
        idx = arith::MaxSIOp::create(nb, l, idx, zero);
        idx = arith::MinSIOp::create(nb, l, idx, arith::ConstantIndexOp::create(nb, l, dim - 1));
        SmallVector<Value> coords;
        for (int64_t d = 0; d < rank; ++d)
          coords.push_back(d == *axis ? idx : Value(linalg::IndexOp::create(nb, l, d)));
        linalg::YieldOp::create(nb, l, tensor::ExtractOp::create(nb, l, data, coords).getResult());
      });
  return n.setOutput(0, op.getResult(0), n.dtypeOf(0));
}

static LogicalResult importExpand(NodeContext &n) {
  std::vector<int64_t> shape;
  if (failed(constInts(n, 1, "shape", shape)))
    return failure();
  for (int64_t d : shape)
    if (d < 0)
      return n.emitError() << "shape " << str(shape) << " has a negative entry";
  auto out = broadcastShapes({n.shapeOf(0), shape});
  if (!out)
    return n.emitError() << "cannot expand " << str(n.shapeOf(0)) << " to " << str(shape);
  if (const ConstTensor *c = n.constant(0)) {
    const auto &in = n.shapeOf(0);
    auto strides = stridesOf(in);
    int64_t off = int64_t(out->size() - in.size());
    auto src = mapIndices(*out, [&](ArrayRef<int64_t> idx) {
      int64_t s = 0;
      for (size_t d = 0; d < in.size(); ++d)
        s += (in[d] == 1 ? 0 : idx[off + d]) * strides[d];
      return s;
    });
    return n.setConstOutput(0, gatherConst(*c, *out, src));
  }
  return n.setOutput(0, buildBroadcastTo(n.builder(), n.getLoc(), n.input(0), *out), n.dtypeOf(0));
}

static LogicalResult importShape(NodeContext &n) {
  const auto &in = n.shapeOf(0);
  int64_t rank = int64_t(in.size());
  int64_t start = n.intAttr("start", 0), end = n.intAttr("end", rank);
  if (start < 0)
    start += rank;
  if (end < 0)
    end += rank;
  start = std::clamp<int64_t>(start, 0, rank);
  end = std::clamp<int64_t>(end, 0, rank);
  ConstTensor r;
  r.dtype = dtype::Int64;
  for (int64_t i = start; i < end; ++i)
    r.ints.push_back(in[i]);
  r.shape = {int64_t(r.ints.size())};
  return n.setConstOutput(0, std::move(r));
}

static LogicalResult importSize(NodeContext &n) {
  ConstTensor r;
  r.dtype = dtype::Int64;
  r.ints = {product(n.shapeOf(0))};
  return n.setConstOutput(0, std::move(r));
}

static LogicalResult importConstantOfShape(NodeContext &n) {
  std::vector<int64_t> shape;
  if (failed(constInts(n, 0, "input", shape)))
    return failure();
  int64_t total = 1;
  for (int64_t d : shape)
    if (d < 0 || llvm::MulOverflow(total, d, total) || total > (int64_t(1) << 40))
      return n.emitError() << "shape " << str(shape) << " is negative or too large";
  int32_t dt = dtype::Float;
  double value = 0;
  if (const auto *a = n.attr("value")) {
    FailureOr<ValueInfo> v = n.importTensorProto(a->t());
    if (failed(v))
      return failure();
    if (!v->konst || v->konst->numElements() != 1)
      return n.emitError() << "'value' must hold one element";
    dt = v->dtype;
    value = v->konst->at(0);
  }
  int64_t count = product(shape);
  if (count <= 4096) {
    ConstTensor r;
    r.dtype = dt;
    r.shape = shape;
    if (isFloatDType(dt))
      r.floats.assign(count, value);
    else
      r.ints.assign(count, int64_t(value));
    return n.setConstOutput(0, std::move(r));
  }
  Type elem = elementTypeOf(n.getContext(), dt);
  auto type = RankedTensorType::get(shape, elem);
  Attribute scalar = isa<FloatType>(elem) ? Attribute(FloatAttr::get(elem, value))
                                          : Attribute(IntegerAttr::get(elem, int64_t(value)));
  ValueInfo info;
  info.dtype = dt;
  info.shape = shape;
  info.attr = DenseElementsAttr::get(type, scalar);
  return n.setInfoOutput(0, std::move(info));
}

static LogicalResult importConstant(NodeContext &n) {
  if (const auto *a = n.attr("value")) {
    FailureOr<ValueInfo> v = n.importTensorProto(a->t());
    if (failed(v))
      return failure();
    return n.setInfoOutput(0, std::move(*v));
  }
  ConstTensor r;
  if (const auto *a = n.attr("value_float")) {
    r.dtype = dtype::Float;
    r.floats = {a->f()};
  } else if (const auto *a = n.attr("value_floats")) {
    r.dtype = dtype::Float;
    r.floats.assign(a->floats().begin(), a->floats().end());
    r.shape = {int64_t(r.floats.size())};
  } else if (const auto *a = n.attr("value_int")) {
    r.dtype = dtype::Int64;
    r.ints = {a->i()};
  } else if (const auto *a = n.attr("value_ints")) {
    r.dtype = dtype::Int64;
    r.ints.assign(a->ints().begin(), a->ints().end());
    r.shape = {int64_t(r.ints.size())};
  } else {
    return n.emitError() << "only tensor, float(s) and int(s) constants are supported "
                            "(sparse and string constants are not)";
  }
  return n.setConstOutput(0, std::move(r));
}

static LogicalResult importSplit(NodeContext &n) {
  const auto &in = n.shapeOf(0);
  int64_t rank = int64_t(in.size());
  auto axis = normalizeAxis(n.intAttr("axis", 0), rank);
  if (!axis)
    return n.emitError() << "axis out of range";
  std::vector<int64_t> split;
  if (n.getOpset() >= 13 && n.hasInput(1)) {
    if (failed(constInts(n, 1, "split", split)))
      return failure();
  } else if (auto s = n.intsAttr("split")) {
    split = *s;
  } else {
    int64_t parts = n.getOpset() >= 18 && n.hasAttr("num_outputs") ? n.intAttr("num_outputs", 1)
                                                                     : int64_t(n.numOutputs());
    if (parts < 1)
      return n.emitError() << "num_outputs must be positive";
    int64_t chunk = (in[*axis] + parts - 1) / parts;
    for (int64_t i = 0, left = in[*axis]; i < parts; ++i, left -= chunk)
      split.push_back(std::max<int64_t>(0, std::min(chunk, left)));
  }
  for (int64_t part : split)
    if (part < 0)
      return n.emitError() << "split " << str(split) << " has a negative part";
  if (split.size() != n.numOutputs())
    return n.emitError() << "split has " << split.size() << " parts but the node has "
                         << n.numOutputs() << " outputs";
  if (std::accumulate(split.begin(), split.end(), int64_t(0)) != in[*axis])
    return n.emitError() << "split " << str(split) << " does not sum to dimension " << in[*axis];
  int64_t offset = 0;
  for (size_t i = 0; i < split.size(); ++i) {
    std::vector<int64_t> out = in, st(rank, 0), sp(rank, 1);
    out[*axis] = split[i];
    st[*axis] = offset;
    offset += split[i];
    if (!n.hasOutput(i))
      continue;
    if (const ConstTensor *c = n.constant(0)) {
      auto strides = stridesOf(in);
      auto src = mapIndices(out, [&](ArrayRef<int64_t> idx) {
        int64_t s = 0;
        for (int64_t d = 0; d < rank; ++d)
          s += (st[d] + idx[d]) * strides[d];
        return s;
      });
      if (failed(n.setConstOutput(i, gatherConst(*c, out, src))))
        return failure();
      continue;
    }
    if (failed(n.setOutput(i, stridedView(n.builder(), n.getLoc(), n.input(0), out, st, sp),
                           n.dtypeOf(0))))
      return failure();
  }
  return success();
}

static LogicalResult importRange(NodeContext &n) {
  const ConstTensor *s = n.constant(0), *l = n.constant(1), *d = n.constant(2);
  if (!s || !l || !d)
    return n.emitError() << "start, limit and delta must be known at import time";
  double start = s->at(0), limit = l->at(0), delta = d->at(0);
  if (delta == 0)
    return n.emitError() << "delta is 0";
  int64_t count = std::max<int64_t>(0, int64_t(std::ceil((limit - start) / delta)));
  ConstTensor r;
  r.dtype = s->dtype;
  r.shape = {count};
  for (int64_t i = 0; i < count; ++i) {
    if (r.isInt())
      r.ints.push_back(s->ints[0] + i * d->ints[0]);
    else
      r.floats.push_back(start + double(i) * delta);
  }
  return n.setConstOutput(0, std::move(r));
}

static LogicalResult importTile(NodeContext &n) {
  std::vector<int64_t> reps;
  if (failed(constInts(n, 1, "repeats", reps)))
    return failure();
  const auto &in = n.shapeOf(0);
  if (reps.size() != in.size())
    return n.emitError() << "repeats has " << reps.size() << " entries for rank " << in.size();
  for (size_t i = 0; i < reps.size(); ++i)
    if (reps[i] < 0 || in[i] == 0)
      return n.emitError() << "repeats must be non-negative over non-empty dims, got "
                           << str(reps) << " for " << str(in);
  std::vector<int64_t> out;
  for (size_t i = 0; i < in.size(); ++i)
    out.push_back(in[i] * reps[i]);
  OpBuilder &b = n.builder();
  MLIRContext *ctx = b.getContext();
  int64_t rank = int64_t(in.size());
  SmallVector<AffineExpr> e;
  for (int64_t d = 0; d < rank; ++d)
    e.push_back(in[d] == 1 ? getAffineConstantExpr(0, ctx) : getAffineDimExpr(d, ctx) % in[d]);
  Value init = tensor::EmptyOp::create(b, n.getLoc(), out, elementTypeOf(ctx, n.dtypeOf(0)));
  SmallVector<utils::IteratorType> iters(rank, utils::IteratorType::parallel);
  auto op = linalg::GenericOp::create(
      b, n.getLoc(), TypeRange{init.getType()}, ValueRange{n.input(0)}, ValueRange{init},
      SmallVector<AffineMap>{AffineMap::get(rank, 0, e, ctx),
                             AffineMap::getMultiDimIdentityMap(rank, ctx)},
      iters, [](OpBuilder &nb, Location l, ValueRange a) { linalg::YieldOp::create(nb, l, a[0]); });
  return n.setOutput(0, op.getResult(0), n.dtypeOf(0));
}

/// Dropout at inference: the identity; the optional mask is all true.
static LogicalResult importDropout(NodeContext &n) {
  if (n.getOpset() >= 12 && n.hasInput(2)) {
    const ConstTensor *training = n.constant(2);
    if (!training || training->intAt(0) != 0)
      return n.emitError() << "training_mode must be a constant false (inference only)";
  }
  if (failed(n.setOutput(0, n.input(0), n.dtypeOf(0))))
    return failure();
  if (!n.hasOutput(1))
    return success();
  ConstTensor mask;
  mask.dtype = dtype::Bool;
  mask.shape = n.shapeOf(0);
  mask.ints.assign(size_t(product(mask.shape)), 1);
  return n.setConstOutput(1, std::move(mask));
}

/// Pad (mode constant): pads from the `pads` input (opset >= 11) or attribute.
static LogicalResult importPad(NodeContext &n) {
  std::string mode = n.stringAttr("mode", "constant");
  if (mode != "constant")
    return n.emitError() << "mode '" << mode << "' is not supported (constant only)";
  const auto &in = n.shapeOf(0);
  int64_t rank = int64_t(in.size());
  std::vector<int64_t> pads, axes;
  if (n.getOpset() >= 11) {
    if (failed(constInts(n, 1, "pads", pads)))
      return failure();
    if (n.hasInput(3) && failed(constInts(n, 3, "axes", axes)))
      return failure();
  } else {
    pads = n.intsAttr("pads").value_or(std::vector<int64_t>{});
  }
  if (axes.empty())
    for (int64_t d = 0; d < rank; ++d)
      axes.push_back(d);
  if (pads.size() != 2 * axes.size())
    return n.emitError() << "pads has " << pads.size() << " entries, expected " << 2 * axes.size();
  std::vector<int64_t> lo(rank, 0), hi(rank, 0), out = in;
  for (size_t i = 0; i < axes.size(); ++i) {
    auto ax = normalizeAxis(axes[i], rank);
    if (!ax)
      return n.emitError() << "axis " << axes[i] << " out of range";
    lo[*ax] = pads[i];
    hi[*ax] = pads[i + axes.size()];
    if (lo[*ax] < 0 || hi[*ax] < 0)
      return n.emitError() << "negative pads (cropping) are not supported";
    out[*ax] += lo[*ax] + hi[*ax];
  }
  double value = n.getOpset() < 11 ? n.floatAttr("value", 0.0f) : 0.0;
  Value padValue;
  OpBuilder &b = n.builder();
  Location loc = n.getLoc();
  Type elem = elementTypeOf(n.getContext(), n.dtypeOf(0));
  if (n.getOpset() >= 11 && n.hasInput(2))
    padValue = tensor::ExtractOp::create(b, loc, buildReshape(b, loc, n.input(2), {}), ValueRange{});
  else
    padValue = scalarConstant(b, loc, elem, value);
  SmallVector<OpFoldResult> l, h;
  for (int64_t d = 0; d < rank; ++d) {
    l.push_back(b.getIndexAttr(lo[d]));
    h.push_back(b.getIndexAttr(hi[d]));
  }
  Value r = tensor::PadOp::create(b, loc, RankedTensorType::get(out, elem), n.input(0), l, h,
                                  padValue);
  return n.setOutput(0, r, n.dtypeOf(0));
}

void mlir::qopt::onnx_import::addShapeOps(OpTable &t) {
  t.add("", "Dropout", importDropout);
  t.add("", "Pad", importPad);
  t.add("", "Reshape", importReshape);
  t.add("", "Transpose", importTranspose);
  t.add("", "Squeeze", importSqueeze);
  t.add("", "Unsqueeze", importUnsqueeze);
  t.add("", "Flatten", importFlatten);
  t.add("", "Concat", importConcat);
  t.add("", "Split", importSplit);
  t.add("", "Slice", importSlice);
  t.add("", "Gather", importGather);
  t.add("", "GatherElements", importGatherElements);
  t.add("", "Expand", importExpand);
  t.add("", "Shape", importShape);
  t.add("", "Size", importSize);
  t.add("", "ConstantOfShape", importConstantOfShape);
  t.add("", "Constant", importConstant);
  t.add("", "Range", importRange);
  t.add("", "Tile", importTile);
}
