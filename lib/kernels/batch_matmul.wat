;; Batched float32 matrix product for the wasm backend's attention products:
;;   C[b] (M×N) = A[b] (M×K) · B[b] (K×N)
;; A is read through element strides (row stride `sai`, column stride `sak`), so Aᵀ needs no copy;
;; B and C are dense row-major. The module imports the backend's memory: every pointer is a byte
;; offset into the tfjs wasm heap.
;;
;; Kernel: 4 rows × 8 columns of C held in eight f32x4 accumulators; per k, two vector loads of B
;; and four splatted scalars of A. Tails: 1 row × 4 columns (SIMD), then 1 row × 1 column.
;;
;; Rebuild the embedded bytes with `deno run -A tools/build_wasm_kernels.ts`.
(module
  (import "env" "memory" (memory 1))

  ;; One row of C, columns [j, j+4): c[i, j..j+4) = Σ_k a(i, k) · b[k, j..j+4)
  (func $row4 (param $pa i32) (param $pb i32) (param $pc i32) (param $k i32)
              (param $sak4 i32) (param $n4 i32)
    (local $acc v128)
    (local.set $acc (v128.const f32x4 0 0 0 0))
    (block $done
      (loop $kloop
        (br_if $done (i32.eqz (local.get $k)))
        (local.set $acc
          (f32x4.add (local.get $acc)
            (f32x4.mul (f32x4.splat (f32.load (local.get $pa))) (v128.load (local.get $pb)))))
        (local.set $pa (i32.add (local.get $pa) (local.get $sak4)))
        (local.set $pb (i32.add (local.get $pb) (local.get $n4)))
        (local.set $k (i32.sub (local.get $k) (i32.const 1)))
        (br $kloop)))
    (v128.store (local.get $pc) (local.get $acc)))

  ;; One element of C: c[i, j] = Σ_k a(i, k) · b[k, j]
  (func $dot1 (param $pa i32) (param $pb i32) (param $pc i32) (param $k i32)
              (param $sak4 i32) (param $n4 i32)
    (local $acc f32)
    (block $done
      (loop $kloop
        (br_if $done (i32.eqz (local.get $k)))
        (local.set $acc
          (f32.add (local.get $acc) (f32.mul (f32.load (local.get $pa)) (f32.load (local.get $pb)))))
        (local.set $pa (i32.add (local.get $pa) (local.get $sak4)))
        (local.set $pb (i32.add (local.get $pb) (local.get $n4)))
        (local.set $k (i32.sub (local.get $k) (i32.const 1)))
        (br $kloop)))
    (f32.store (local.get $pc) (local.get $acc)))

  ;; Columns [j, n) of one row of C: groups of four, then single columns.
  (func $rowTail (param $pa i32) (param $b i32) (param $pc i32) (param $j i32) (param $n i32)
                 (param $k i32) (param $sak4 i32) (param $n4 i32)
    (block $cols4_done
      (loop $cols4
        (br_if $cols4_done (i32.gt_u (i32.add (local.get $j) (i32.const 4)) (local.get $n)))
        (call $row4
          (local.get $pa)
          (i32.add (local.get $b) (i32.shl (local.get $j) (i32.const 2)))
          (i32.add (local.get $pc) (i32.shl (local.get $j) (i32.const 2)))
          (local.get $k) (local.get $sak4) (local.get $n4))
        (local.set $j (i32.add (local.get $j) (i32.const 4)))
        (br $cols4)))
    (block $cols1_done
      (loop $cols1
        (br_if $cols1_done (i32.ge_u (local.get $j) (local.get $n)))
        (call $dot1
          (local.get $pa)
          (i32.add (local.get $b) (i32.shl (local.get $j) (i32.const 2)))
          (i32.add (local.get $pc) (i32.shl (local.get $j) (i32.const 2)))
          (local.get $k) (local.get $sak4) (local.get $n4))
        (local.set $j (i32.add (local.get $j) (i32.const 1)))
        (br $cols1))))

  ;; Four rows × eight columns of C starting at (i, j).
  (func $tile4x8 (param $pa i32) (param $pb i32) (param $pc i32) (param $k i32)
                 (param $sai4 i32) (param $sak4 i32) (param $n4 i32)
    (local $a0 v128) (local $a1 v128) (local $a2 v128) (local $a3 v128)
    (local $b0 v128) (local $b1 v128)
    (local $c00 v128) (local $c01 v128) (local $c10 v128) (local $c11 v128)
    (local $c20 v128) (local $c21 v128) (local $c30 v128) (local $c31 v128)
    (local $r2 i32) (local $r3 i32)
    (local.set $r2 (i32.add (local.get $sai4) (local.get $sai4)))
    (local.set $r3 (i32.add (local.get $r2) (local.get $sai4)))
    (block $done
      (loop $kloop
        (br_if $done (i32.eqz (local.get $k)))
        (local.set $b0 (v128.load (local.get $pb)))
        (local.set $b1 (v128.load offset=16 (local.get $pb)))
        (local.set $a0 (f32x4.splat (f32.load (local.get $pa))))
        (local.set $a1 (f32x4.splat (f32.load (i32.add (local.get $pa) (local.get $sai4)))))
        (local.set $a2 (f32x4.splat (f32.load (i32.add (local.get $pa) (local.get $r2)))))
        (local.set $a3 (f32x4.splat (f32.load (i32.add (local.get $pa) (local.get $r3)))))
        (local.set $c00 (f32x4.add (local.get $c00) (f32x4.mul (local.get $a0) (local.get $b0))))
        (local.set $c01 (f32x4.add (local.get $c01) (f32x4.mul (local.get $a0) (local.get $b1))))
        (local.set $c10 (f32x4.add (local.get $c10) (f32x4.mul (local.get $a1) (local.get $b0))))
        (local.set $c11 (f32x4.add (local.get $c11) (f32x4.mul (local.get $a1) (local.get $b1))))
        (local.set $c20 (f32x4.add (local.get $c20) (f32x4.mul (local.get $a2) (local.get $b0))))
        (local.set $c21 (f32x4.add (local.get $c21) (f32x4.mul (local.get $a2) (local.get $b1))))
        (local.set $c30 (f32x4.add (local.get $c30) (f32x4.mul (local.get $a3) (local.get $b0))))
        (local.set $c31 (f32x4.add (local.get $c31) (f32x4.mul (local.get $a3) (local.get $b1))))
        (local.set $pa (i32.add (local.get $pa) (local.get $sak4)))
        (local.set $pb (i32.add (local.get $pb) (local.get $n4)))
        (local.set $k (i32.sub (local.get $k) (i32.const 1)))
        (br $kloop)))
    (v128.store (local.get $pc) (local.get $c00))
    (v128.store offset=16 (local.get $pc) (local.get $c01))
    (local.set $pc (i32.add (local.get $pc) (local.get $n4)))
    (v128.store (local.get $pc) (local.get $c10))
    (v128.store offset=16 (local.get $pc) (local.get $c11))
    (local.set $pc (i32.add (local.get $pc) (local.get $n4)))
    (v128.store (local.get $pc) (local.get $c20))
    (v128.store offset=16 (local.get $pc) (local.get $c21))
    (local.set $pc (i32.add (local.get $pc) (local.get $n4)))
    (v128.store (local.get $pc) (local.get $c30))
    (v128.store offset=16 (local.get $pc) (local.get $c31)))

  ;; C[b] = A[b] · B[b] for b < batch. Strides are in elements; pointers in bytes.
  (func (export "batchMatMul")
    (param $a i32) (param $b i32) (param $c i32) (param $batch i32)
    (param $m i32) (param $k i32) (param $n i32)
    (param $sab i32) (param $sai i32) (param $sak i32) (param $sbb i32) (param $scb i32)
    (local $i i32) (local $j i32) (local $r i32)
    (local $sai4 i32) (local $sak4 i32) (local $n4 i32)
    (local $pa i32) (local $pb i32) (local $pc i32)
    (local.set $sai4 (i32.shl (local.get $sai) (i32.const 2)))
    (local.set $sak4 (i32.shl (local.get $sak) (i32.const 2)))
    (local.set $n4 (i32.shl (local.get $n) (i32.const 2)))
    (block $batches_done
      (loop $batches
        (br_if $batches_done (i32.eqz (local.get $batch)))
        (local.set $i (i32.const 0))
        ;; rows in blocks of four
        (block $rows4_done
          (loop $rows4
            (br_if $rows4_done (i32.gt_u (i32.add (local.get $i) (i32.const 4)) (local.get $m)))
            (local.set $pa (i32.add (local.get $a) (i32.mul (local.get $i) (local.get $sai4))))
            (local.set $pc (i32.add (local.get $c) (i32.mul (local.get $i) (local.get $n4))))
            (local.set $j (i32.const 0))
            (block $cols8_done
              (loop $cols8
                (br_if $cols8_done (i32.gt_u (i32.add (local.get $j) (i32.const 8)) (local.get $n)))
                (call $tile4x8
                  (local.get $pa)
                  (i32.add (local.get $b) (i32.shl (local.get $j) (i32.const 2)))
                  (i32.add (local.get $pc) (i32.shl (local.get $j) (i32.const 2)))
                  (local.get $k) (local.get $sai4) (local.get $sak4) (local.get $n4))
                (local.set $j (i32.add (local.get $j) (i32.const 8)))
                (br $cols8)))
            ;; the last columns of these four rows
            (if (i32.lt_u (local.get $j) (local.get $n))
              (then
                (local.set $r (i32.const 0))
                (block $tail_done
                  (loop $tail
                    (br_if $tail_done (i32.eq (local.get $r) (i32.const 4)))
                    (call $rowTail
                      (i32.add (local.get $pa) (i32.mul (local.get $r) (local.get $sai4)))
                      (local.get $b)
                      (i32.add (local.get $pc) (i32.mul (local.get $r) (local.get $n4)))
                      (local.get $j) (local.get $n) (local.get $k) (local.get $sak4) (local.get $n4))
                    (local.set $r (i32.add (local.get $r) (i32.const 1)))
                    (br $tail)))))
            (local.set $i (i32.add (local.get $i) (i32.const 4)))
            (br $rows4)))
        ;; the remaining rows, one at a time
        (block $rows1_done
          (loop $rows1
            (br_if $rows1_done (i32.ge_u (local.get $i) (local.get $m)))
            (local.set $pa (i32.add (local.get $a) (i32.mul (local.get $i) (local.get $sai4))))
            (local.set $pc (i32.add (local.get $c) (i32.mul (local.get $i) (local.get $n4))))
            (call $rowTail (local.get $pa) (local.get $b) (local.get $pc) (i32.const 0) (local.get $n)
              (local.get $k) (local.get $sak4) (local.get $n4))
            (local.set $i (i32.add (local.get $i) (i32.const 1)))
            (br $rows1)))
        (local.set $a (i32.add (local.get $a) (i32.shl (local.get $sab) (i32.const 2))))
        (local.set $b (i32.add (local.get $b) (i32.shl (local.get $sbb) (i32.const 2))))
        (local.set $c (i32.add (local.get $c) (i32.shl (local.get $scb) (i32.const 2))))
        (local.set $batch (i32.sub (local.get $batch) (i32.const 1)))
        (br $batches))))
)
