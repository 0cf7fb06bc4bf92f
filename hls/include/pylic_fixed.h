// pylic fixed-point primitives shared by the HLS kernels.
// These are the C++ twins of pylic/fixed/formats.py: every function here must give the same integers
// as its Python counterpart (csim proves it). All rounding is half up: floor(v / 2^s + 1/2).
#ifndef PYLIC_FIXED_H
#define PYLIC_FIXED_H

#include "ap_int.h"

namespace pylic {

// Index of the most significant set bit of v (v >= 1): a priority encoder.
template <int W>
int leading_one(ap_uint<W> v) {
#pragma HLS INLINE
    int k = 0;
LEADING_ONE:
    for (int b = 0; b < W; ++b) {
#pragma HLS UNROLL
        if (v[b]) k = b;
    }
    return k;
}

// v * 2^-S for a compile-time S: half-up rounding for S >= 1, exact left shift for S <= 0.
// OW is the result width (the caller proves it is wide enough).
template <int OW, int S, int IW>
ap_int<OW> round_shift_const(ap_int<IW> v) {
#pragma HLS INLINE
    if (S > 0) {
        ap_int<IW + 2> w = v;
        w += ap_int<IW + 2>(1) << (S > 0 ? S - 1 : 0);
        return ap_int<OW>(w >> (S > 0 ? S : 0));
    }
    ap_int<OW> w = v;
    return w << (S > 0 ? 0 : -S);
}

// sat8(v * 2^-s) for a run-time s, half-up rounding. Right shifts clamp at MAX_RIGHT (>= width(v) + 1,
// where the exact result is 0 already) and left shifts at 8 (any non-zero v saturates by then), exactly as
// pylic.fixed.formats.round_shift(v, s, max_right=MAX_RIGHT, max_left=8) followed by saturate().
template <int PW, int MAX_RIGHT>
ap_int<8> shift_round_sat8(ap_int<PW> v, int s) {
#pragma HLS INLINE
    ap_int<PW + 9> y;
    if (s > 0) {
        int sr = s > MAX_RIGHT ? MAX_RIGHT : s;
        ap_int<PW + 9> w = v;
        w += ap_int<PW + 9>(1) << (sr - 1);
        y = w >> sr;
    } else {
        int sl = -s > 8 ? 8 : -s;
        y = ap_int<PW + 9>(v) << sl;
    }
    if (y > 127) return ap_int<8>(127);
    if (y < -128) return ap_int<8>(-128);
    return ap_int<8>(y);
}

}  // namespace pylic

#endif
