/**
 * Local, documented aliases of the TensorFlow.js types that appear in loradrop's
 * public signatures (JSR's doc lint rejects direct references to tfjs's types).
 *
 * @module
 */
import type * as tf from "@tensorflow/tfjs-core";

/** A TensorFlow.js tensor of any rank. */
export type Tensor = tf.Tensor;
/** A rank-1 TensorFlow.js tensor. */
export type Tensor1D = tf.Tensor1D;
/** A rank-2 TensorFlow.js tensor, e.g. a weight matrix `(in, out)`. */
export type Tensor2D = tf.Tensor2D;
/** A rank-3 TensorFlow.js tensor, e.g. hidden states `(B, T, D)`. */
export type Tensor3D = tf.Tensor3D;
/** A rank-4 TensorFlow.js tensor, e.g. attention logits `(B, H, Tq, Tk)`. */
export type Tensor4D = tf.Tensor4D;
/** A trainable TensorFlow.js variable. */
export type Variable = tf.Variable;
/** A map from names to tensors (tfjs's `NamedTensorMap`). */
export type NamedTensors = Record<string, Tensor>;
