//! Stages B and D of the attention kernels: what each vector core issues per tile (the
//! online softmax, one instruction per pass of `pasa-core`'s softmax step, and the
//! rescale-accumulate of O), in `vec_rows`-row chunks that fit UB.

use pasa_core::Recovery;

use super::{Emitter, u};
use crate::error::SimError;
use crate::ir::{Core, InstrSink, Op, Path, Pipe, VecClass};
use crate::kernels::plan::WorkItem;

impl<S: InstrSink> Emitter<'_, S> {
    /// The vector instructions of the authors' online softmax on `rows` rows of `c` keys,
    /// key block `pos` of its query block: one instruction per pass of
    /// `running_average::{mask_padding,running_average_softmax}_in_place`. Tile-sized: the
    /// cast to the vector type, the mask, row max, `S - m_j`, exp, the row sum, the cast of
    /// `P`. Per row (the extra vector work of PASA): the running mean (2 mul, 1 add),
    /// `a_j` and `b_j` (2 sub, 2 mul), `m_new` (2 add, 1 max), `take` (sub, add, exp), from
    /// the second block on `keep` (sub, add, exp), and `l` (1 mul, or 2 mul and 1 add).
    fn running_average_ops(
        &mut self,
        core: Core,
        rows: usize,
        c: usize,
        pos: usize,
        masked: bool,
    ) -> Result<(), SimError> {
        let p = self.plan.kernel.precision;
        let tile = u(rows * c);
        let row_n = u(rows);
        self.cast(core, p.score, p.vector, tile)?;
        if masked {
            self.vec(core, VecClass::Elementwise, p.vector, tile)?;
        }
        self.vec(core, VecClass::Reduce, p.vector, tile)?; // m_j = row max
        self.vec(core, VecClass::Elementwise, p.vector, tile)?; // S - m_j
        self.vec(core, VecClass::Exp, p.vector, tile)?;
        self.vec(core, VecClass::Reduce, p.row_sum.scalar(), tile)?; // l_j
        self.cast(core, p.vector, p.operand, tile)?;
        let later = pos > 0;
        // Running mean 3, a_j 2, b_j 2, m_new 3, take 2 (+ exp), l 1 or 3, keep 2 (+ exp).
        let elementwise = 3 + 2 + 2 + 3 + 2 + if later { 3 + 2 } else { 1 };
        for _ in 0..elementwise {
            self.vec(core, VecClass::Elementwise, p.stats, row_n)?;
        }
        for _ in 0..if later { 2 } else { 1 } {
            self.vec(core, VecClass::Exp, p.stats, row_n)?;
        }
        Ok(())
    }

    /// The vector instructions of the online softmax on `rows` rows of `c` keys (those of
    /// `pasa_core::steps::{flash,pasa}_softmax_in_place`, one instruction per pass).
    fn softmax_ops(
        &mut self,
        core: Core,
        rows: usize,
        c: usize,
        masked: bool,
    ) -> Result<(), SimError> {
        let p = self.plan.kernel.precision;
        let tile = u(rows * c);
        let row_n = u(rows);
        if masked {
            self.vec(core, VecClass::Elementwise, p.score, tile)?;
        }
        let relative = matches!(
            self.plan.pasa,
            Some((_, pasa_core::Recovery::RelativeToFirstBlock))
        );
        if self.plan.pasa.is_some() {
            // recover_shift: c = factor * (mean [- reference]).
            self.vec(core, VecClass::Elementwise, p.stats, row_n)?;
            if relative {
                self.vec(core, VecClass::Elementwise, p.stats, row_n)?;
            }
        }
        self.cast(core, p.score, p.vector, tile)?;
        self.vec(core, VecClass::Reduce, p.vector, tile)?; // row max
        if self.plan.pasa.is_some() {
            // mu = max + c, m_new = max(m, mu), m - m_new, alpha = exp, offset = mu - m_new.
            for _ in 0..4 {
                self.vec(core, VecClass::Elementwise, p.stats, row_n)?;
            }
            self.vec(core, VecClass::Exp, p.stats, row_n)?;
            self.vec(core, VecClass::Elementwise, p.vector, tile)?; // S' - max
            self.vec(core, VecClass::Elementwise, p.vector, tile)?; // + offset
        } else {
            // m_new = max(m, mu), m - m_new, alpha = exp.
            for _ in 0..2 {
                self.vec(core, VecClass::Elementwise, p.stats, row_n)?;
            }
            self.vec(core, VecClass::Exp, p.stats, row_n)?;
            self.vec(core, VecClass::Elementwise, p.vector, tile)?; // S - m_new
        }
        self.vec(core, VecClass::Exp, p.vector, tile)?;
        self.cast(core, p.vector, p.operand, tile)?;
        self.vec(core, VecClass::Reduce, p.row_sum.scalar(), tile)?; // row sum of P
        for _ in 0..2 {
            self.vec(core, VecClass::Elementwise, p.stats, row_n)?; // l = alpha l + sum
        }
        Ok(())
    }

    /// Stage B: the online softmax on each vector core, `vec_rows` rows at a time.
    pub(super) fn stage_b(&mut self, item: &WorkItem, pos: usize) -> Result<(), SimError> {
        let j = pos;
        let c = self.plan.tiling.block_k;
        let vr = self.plan.tiling.vec_rows;
        let loop_cycles = self.machine.scalar.loop_overhead_cycles;
        for v in 0..self.plan.vector_cores {
            let core = Self::aiv_core(v);
            let rows = Self::share_rows(item, v);
            let first_row = item.row0 + (v * item.share).min(item.rows);
            let f = &self.aiv[v];
            let (s_ready, ubs_free, s_gm_free, ubs_full, ubp_done, p_gm_free, p_ready) = (
                f.s_ready,
                f.ubs_free,
                f.s_gm_free,
                f.ubs_full,
                f.ubp_done,
                f.p_gm_free,
                f.p_ready,
            );
            let chunks = rows.div_ceil(vr).max(1);
            for k in 0..chunks {
                let r0 = k * vr;
                let n = vr.min(rows.saturating_sub(r0));
                self.op(
                    core,
                    Op::Scalar {
                        cycles: loop_cycles,
                    },
                )?;
                if k == 0 {
                    self.wait(core, Pipe::Mte2, s_ready)?;
                }
                self.wait(core, Pipe::Mte2, ubs_free)?;
                self.copy(core, Path::GmToUb, u(n * c) * self.w.score)?;
                match self.plan.pasa {
                    Some((_, Recovery::RelativeKeyMeans)) => {
                        self.copy(core, Path::GmToUb, u(n) * self.w.score)?;
                    }
                    Some(_) => self.copy(core, Path::GmToUb, u(n) * self.w.stats)?,
                    None => {}
                }
                if k + 1 == chunks {
                    self.set(core, Pipe::Mte2, s_gm_free)?;
                }
                self.set(core, Pipe::Mte2, ubs_full)?;
                self.wait(core, Pipe::V, ubs_full)?;
                // Visibility is non-decreasing in the row (causal) or constant: the chunk's
                // first row sees the fewest keys.
                let masked = n > 0
                    && self
                        .plan
                        .params
                        .visible(&self.plan.shape, first_row + r0, j)
                        < c;
                if self.plan.authors() {
                    self.running_average_ops(core, n, c, pos, masked)?;
                } else {
                    self.softmax_ops(core, n, c, masked)?;
                }
                self.set(core, Pipe::V, ubp_done)?;
                self.wait(core, Pipe::Mte3, ubp_done)?;
                if k == 0 {
                    self.wait(core, Pipe::Mte3, p_gm_free)?;
                }
                self.copy(core, Path::UbToGm, u(n * c) * self.w.operand)?;
                self.set(core, Pipe::Mte3, ubs_free)?;
                if k + 1 == chunks {
                    self.set(core, Pipe::Mte3, p_ready)?;
                }
            }
        }
        Ok(())
    }

    /// Stage D: rescale-accumulate on each vector core, and the final normalisation.
    pub(super) fn stage_d(&mut self, item: &WorkItem, pos: usize) -> Result<(), SimError> {
        let first = pos == 0;
        let last = pos + 1 == item.key_blocks;
        let dv = self.plan.shape.value_dim;
        let p = self.plan.kernel.precision;
        for v in 0..self.plan.vector_cores {
            let core = Self::aiv_core(v);
            let rows = Self::share_rows(item, v);
            let f = &self.aiv[v];
            let (pv_ready, ubpv_free, pv_gm_free, ubpv_full, o_free, o_done) = (
                f.pv_ready,
                f.ubpv_free,
                f.pv_gm_free,
                f.ubpv_full,
                f.o_free,
                f.o_done,
            );
            let n = u(rows * dv);
            self.wait(core, Pipe::Mte2, pv_ready)?;
            self.wait(core, Pipe::Mte2, ubpv_free)?;
            self.copy(core, Path::GmToUb, n * self.w.out)?;
            self.set(core, Pipe::Mte2, pv_gm_free)?;
            self.set(core, Pipe::Mte2, ubpv_full)?;
            self.wait(core, Pipe::V, ubpv_full)?;
            if first {
                self.wait(core, Pipe::V, o_free)?;
            }
            if self.plan.authors() {
                // take P V; from the second block on also keep O and the sum.
                self.vec(core, VecClass::Elementwise, p.out, n)?;
                if !first {
                    self.vec(core, VecClass::Elementwise, p.out, n)?;
                    self.vec(core, VecClass::Elementwise, p.out, n)?;
                }
            } else {
                self.vec(core, VecClass::Elementwise, p.out, n)?; // alpha O
                self.vec(core, VecClass::Elementwise, p.out, n)?; // + P V
            }
            self.set(core, Pipe::V, ubpv_free)?;
            if last {
                self.vec(core, VecClass::Elementwise, p.out, n)?; // O / l
                self.cast(core, p.out, p.output, n)?;
                self.set(core, Pipe::V, o_done)?;
                self.wait(core, Pipe::Mte3, o_done)?;
                self.copy(core, Path::UbToGm, n * self.w.output)?;
                self.set(core, Pipe::Mte3, o_free)?;
            }
        }
        Ok(())
    }
}
