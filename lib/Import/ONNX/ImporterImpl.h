//===- ImporterImpl.h - internals shared by the ONNX importer ---*- C++ -*-===//
//
// Part of qopt. Not a public header: the node context op handlers use, the
// op table, import-time constants and the tensor-building helpers.
//
//===----------------------------------------------------------------------===//
#ifndef QOPT_LIB_IMPORT_ONNX_IMPORTERIMPL_H
#define QOPT_LIB_IMPORT_ONNX_IMPORTERIMPL_H

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Location.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/StringRef.h"

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "onnx/onnx_pb.h"

namespace mlir::qopt::onnx_import {

/// TensorProto data types, including those newer than the installed ONNX.
namespace dtype {
enum : int32_t {
  Undefined = 0, Float = 1, UInt8 = 2, Int8 = 3, UInt16 = 4, Int16 = 5, Int32 = 6,
  Int64 = 7, String = 8, Bool = 9, Float16 = 10, Double = 11, UInt32 = 12, UInt64 = 13,
  BFloat16 = 16, Float8E4M3FN = 17, Float8E4M3FNUZ = 18, Float8E5M2 = 19,
  Float8E5M2FNUZ = 20, UInt4 = 21, Int4 = 22, Float4E2M1 = 23, Float8E8M0 = 24,
  UInt2 = 25, Int2 = 26,
};
} // namespace dtype

std::string dtypeName(int32_t dt);
bool isFloatDType(int32_t dt);
bool isUnsignedDType(int32_t dt);
/// MLIR element type of a data type (signless integers), null if unsupported.
Type elementTypeOf(MLIRContext *ctx, int32_t dt);
/// Bytes per element of a byte-addressable type (0 for sub-byte/unsupported).
size_t byteWidthOf(int32_t dt);
/// Bit width of a low-precision type carried as codes (FP8, E8M0: 8; INT4,
/// UINT4, FLOAT4E2M1: 4; INT2, UINT2: 2); 0 for every other type. Inside
/// the importer such a value is a tensor of signless iN codes; at the model
/// boundary it is bytes (sub-byte types packed as ONNX packs them).
unsigned lowPrecisionBits(int32_t dt);
/// The qopt/builtin element type naming a low-precision type's encoding
/// (f8E4M3FN, f4E2M1FN, i4, ui4, f8E8M0FNU, ...), null otherwise.
Type lowPrecisionFormatType(MLIRContext *ctx, int32_t dt);

/// A tensor whose value is known at import time (shape arithmetic, small
/// constants). Integers and bools live in `ints`, floats in `floats`.
struct ConstTensor {
  int32_t dtype = dtype::Undefined;
  std::vector<int64_t> shape;
  std::vector<int64_t> ints;
  std::vector<double> floats;
  int64_t numElements() const;
  bool isInt() const { return !isFloatDType(dtype); }
  double at(int64_t i) const { return isInt() ? double(ints[i]) : floats[i]; }
  int64_t intAt(int64_t i) const { return isInt() ? ints[i] : int64_t(floats[i]); }
};

/// What the importer knows of one ONNX value.
struct ValueInfo {
  Value value;                      ///< null until materialised
  int32_t dtype = dtype::Undefined;
  std::vector<int64_t> shape;
  ElementsAttr attr;                ///< constant payload (initializers, folds)
  std::optional<ConstTensor> konst; ///< import-time value when small
};

class GraphImporter;

/// The view of one node an op handler works with.
class NodeContext {
public:
  NodeContext(GraphImporter &graph, const onnx::NodeProto &node, Location loc, int64_t opset)
      : graph(graph), node(node), loc(loc), opset(opset) {}

  const onnx::NodeProto &proto() const { return node; }
  Location getLoc() const { return loc; }
  int64_t getOpset() const { return opset; }
  OpBuilder &builder();
  MLIRContext *getContext();
  std::string describe() const; ///< "node 'name' (OpType)"

  // Inputs. Optional inputs may be absent (missing or empty name).
  size_t numInputs() const { return size_t(node.input_size()); }
  bool hasInput(size_t i) const;
  const ValueInfo &info(size_t i) const;
  int32_t dtypeOf(size_t i) const { return info(i).dtype; }
  const std::vector<int64_t> &shapeOf(size_t i) const { return info(i).shape; }
  /// The input as an SSA value (materialising constants).
  Value input(size_t i);
  /// The input's import-time value, if known.
  const ConstTensor *constant(size_t i) const;

  // Attributes.
  bool hasAttr(llvm::StringRef name) const;
  int64_t intAttr(llvm::StringRef name, int64_t dflt) const;
  float floatAttr(llvm::StringRef name, float dflt) const;
  std::string stringAttr(llvm::StringRef name, llvm::StringRef dflt) const;
  std::optional<std::vector<int64_t>> intsAttr(llvm::StringRef name) const;
  std::optional<std::vector<float>> floatsAttr(llvm::StringRef name) const;
  const onnx::AttributeProto *attr(llvm::StringRef name) const;

  // Outputs.
  size_t numOutputs() const { return size_t(node.output_size()); }
  bool hasOutput(size_t i) const;
  LogicalResult setOutput(size_t i, Value v, int32_t dt);
  /// An output known at import time: becomes a constant, usable by folds.
  LogicalResult setConstOutput(size_t i, ConstTensor t);
  /// An output that is a constant tensor (Constant nodes).
  LogicalResult setInfoOutput(size_t i, ValueInfo info);
  /// Converts a tensor attribute (Constant's value) like an initializer.
  FailureOr<ValueInfo> importTensorProto(const onnx::TensorProto &t);

  /// Emits an error at the node's location, prefixed with the node name.
  InFlightDiagnostic emitError();

private:
  GraphImporter &graph;
  const onnx::NodeProto &node;
  Location loc;
  int64_t opset;
};

using OpHandler = std::function<LogicalResult(NodeContext &)>;

/// Op handlers by "domain::OpType" ("" is the default domain).
class OpTable {
public:
  void add(llvm::StringRef domain, llvm::StringRef opType, OpHandler handler);
  const OpHandler *lookup(llvm::StringRef domain, llvm::StringRef opType) const;
  /// "OpType" or "domain.OpType" of every registered handler, sorted.
  std::vector<std::string> names() const;

private:
  llvm::StringMap<OpHandler> handlers;
};

/// Each file under ops/ registers its family.
void addElementwiseOps(OpTable &table);
void addActivationOps(OpTable &table);
void addMatMulOps(OpTable &table);
void addShapeOps(OpTable &table);
void addReduceOps(OpTable &table);
void addNormOps(OpTable &table);
void addConvPoolOps(OpTable &table);
void addQuantOps(OpTable &table);
/// Cast/CastLike where either side is a low-precision type (Quant.cpp):
/// encode/decode through qopt ops with a unit per-tensor scale.
LogicalResult castLowPrecision(NodeContext &n, int32_t from, int32_t to);
const OpTable &getOpTable();

//===----------------------------------------------------------------------===//
// Building blocks (Builders.cpp)
//===----------------------------------------------------------------------===//

/// Numpy-style broadcast of shapes; nullopt if incompatible.
std::optional<std::vector<int64_t>> broadcastShapes(llvm::ArrayRef<std::vector<int64_t>> shapes);

using ScalarBody = std::function<Value(OpBuilder &, Location, ValueRange)>;
/// A linalg.generic over the broadcast shape of `operands` (all broadcast
/// numpy-style; pass the broadcast shape) computing `body` per element.
Value buildElementwise(OpBuilder &b, Location loc, ValueRange operands,
                       llvm::ArrayRef<int64_t> outShape, Type resultElem, const ScalarBody &body);
/// Reduces `input` over `axes` (non-negative, sorted) with `combine`, starting
/// from `init`; keeps reduced dims as 1 when keepDims.
Value buildReduction(OpBuilder &b, Location loc, Value input, llvm::ArrayRef<int64_t> axes,
                     bool keepDims, Attribute init, const ScalarBody &combine);
/// Reshape a static tensor (tensor.reshape with a constant shape, or
/// collapse/expand when the shapes allow).
Value buildReshape(OpBuilder &b, Location loc, Value input, llvm::ArrayRef<int64_t> shape);
Value buildTranspose(OpBuilder &b, Location loc, Value input, llvm::ArrayRef<int64_t> perm);
Value buildBroadcastTo(OpBuilder &b, Location loc, Value input, llvm::ArrayRef<int64_t> shape);
/// Scalar conversion between element types with ONNX Cast semantics.
Value convertScalar(OpBuilder &b, Location loc, Value v, int32_t fromDT, int32_t toDT);
/// A constant scalar of an element type.
Value scalarConstant(OpBuilder &b, Location loc, Type elem, double value);
/// A dense constant tensor from an import-time value.
Value materializeConst(OpBuilder &b, Location loc, const ConstTensor &t);
/// ONNX's packing of sub-byte codes (low bits first) at the model boundary:
/// bytes [ceil(n * bits / 8)] <-> codes `shape` x iN.
Value buildUnpackCodes(OpBuilder &b, Location loc, Value bytes, llvm::ArrayRef<int64_t> shape,
                       unsigned bits);
Value buildPackCodes(OpBuilder &b, Location loc, Value codes, unsigned bits);
/// Normalises an axis against a rank; nullopt if out of range.
std::optional<int64_t> normalizeAxis(int64_t axis, int64_t rank);

} // namespace mlir::qopt::onnx_import

#endif // QOPT_LIB_IMPORT_ONNX_IMPORTERIMPL_H
