//! The attention kernels written in the IR: the instruction stream of one cluster.
//!
//! # Structure (Ascend FlashAttentionScore on a split core, [FAD] in the preset's sources)
//! For every (query block, key block) tile `t` of the cluster's work, four stages:
//! - **A(t)**, cube core: load K_j (PASA: the shifted K'_j of the prepass) GM->L1->L0B,
//!   Q L1->L0A, `Mmad` S = Q K^T, FixPipe S -> GM, in `sub_k`-column pieces. PASA (the
//!   authors' and our absolute and first-block variants) adds the row means of S' on the
//!   cube: FixPipe S' -> L1, L1->L0A, `Mmad` with the `1/keys` column, FixPipe -> GM;
//!   key-means adds one score column `Q (mean K_j - mean K_0)` instead.
//! - **B(t)**, each vector core on its share of the rows, `vec_rows` at a time: S GM->UB,
//!   online softmax (the vector instructions of `pasa_core::steps::{flash,pasa}_softmax_in_place`
//!   or, for the authors' PASA, of `running_average::{mask_padding,running_average_softmax}_in_place`
//!   with its running mean and correction terms, counted one by one), P UB->GM.
//! - **C(t)**, cube core: V_j and P GM->L1->L0B/L0A in `sub_k`-key pieces, `Mmad` P V
//!   accumulated in L0C over the pieces, FixPipe -> GM.
//! - **D(t)**, each vector core: P V GM->UB, `O = alpha O + P V` (the authors' PASA:
//!   `O = keep O + take P V`, one more multiply); after the last key block
//!   of a query block, `O / l` and O UB->GM.
//!
//! Stages are issued as A(t), B(t-1), C(t-2), D(t-2): the cube core runs two score tiles
//! ahead (the vendor's "preload"), so the vector cores' softmax overlaps the cube's work, and
//! the pipeline runs across query blocks without draining. Every buffer is a ring with
//! [`SLOTS`] slots guarded by a full/free flag pair, the Ascend C double-buffering protocol;
//! cross-core hand-offs are flags between the cube core and each vector core.
//!
//! The numbers (when on) are computed at D(t) for the whole tile by [`Numerics`], which
//! calls `pasa-core`'s steps; the IR carries the costs.

use pasa_core::{Real, Recovery, Scalar, ScalePlacement};

use crate::error::SimError;
use crate::ir::{Buffer, Core, DType, Flag, InstrSink, Op, Path, Pipe, VecClass};
use crate::kernels::numerics::Numerics;
use crate::kernels::plan::{Plan, WorkItem, tile_types};
use crate::kernels::u;
use crate::machine::Machine;
use crate::tiling::{SLOTS, bytes_of, footprint};

mod vector;

/// Map a `pasa-core` stage type to a vector operand type (f64 is rejected by the plan).
fn dt(s: Scalar) -> DType {
    match s {
        Scalar::F16 => DType::F16,
        Scalar::F32 | Scalar::F64 => DType::F32,
    }
}

/// Flags of the cube core.
struct AicFlags {
    kv_full: Flag,
    kv_free: Flag,
    p_full: Flag,
    p_free: Flag,
    q_full: Flag,
    q_free: Flag,
    s1_full: Flag,
    s1_free: Flag,
    a_full: Flag,
    a_free: Flag,
    b_full: Flag,
    b_free: Flag,
    c_full: Flag,
    c_free: Flag,
}

/// Flags of one vector core and of its hand-offs with the cube core.
struct AivFlags {
    q_ready: Flag,
    q_gm_free: Flag,
    s_ready: Flag,
    s_gm_free: Flag,
    p_ready: Flag,
    p_gm_free: Flag,
    pv_ready: Flag,
    pv_gm_free: Flag,
    ubq_full: Flag,
    ubq_done: Flag,
    ubq_free: Flag,
    ubs_full: Flag,
    ubp_done: Flag,
    ubs_free: Flag,
    ubpv_full: Flag,
    ubpv_free: Flag,
    o_done: Flag,
    o_free: Flag,
}

/// Hands out flag IDs.
struct FlagIds(Flag);

impl FlagIds {
    fn next(&mut self) -> Flag {
        self.0 += 1;
        self.0 - 1
    }
}

/// Bytes per element of each stage type.
struct Widths {
    operand: u32,
    score: u32,
    stats: u32,
    out: u32,
    output: u32,
}

/// The tile-stage emitter of one cluster.
pub(crate) struct Emitter<'a, S: InstrSink> {
    sink: &'a mut S,
    plan: &'a Plan,
    machine: &'a Machine,
    aic: AicFlags,
    aiv: Vec<AivFlags>,
    w: Widths,
}

/// One tile of the flattened work: the item and the position of the key block in it.
#[derive(Clone, Copy)]
struct Tile {
    item: usize,
    pos: usize,
}

impl<'a, S: InstrSink> Emitter<'a, S> {
    pub(crate) fn new(sink: &'a mut S, plan: &'a Plan, machine: &'a Machine) -> Self {
        let mut ids = FlagIds(0);
        let aic = AicFlags {
            kv_full: ids.next(),
            kv_free: ids.next(),
            p_full: ids.next(),
            p_free: ids.next(),
            q_full: ids.next(),
            q_free: ids.next(),
            s1_full: ids.next(),
            s1_free: ids.next(),
            a_full: ids.next(),
            a_free: ids.next(),
            b_full: ids.next(),
            b_free: ids.next(),
            c_full: ids.next(),
            c_free: ids.next(),
        };
        let aiv = (0..plan.vector_cores)
            .map(|_| AivFlags {
                q_ready: ids.next(),
                q_gm_free: ids.next(),
                s_ready: ids.next(),
                s_gm_free: ids.next(),
                p_ready: ids.next(),
                p_gm_free: ids.next(),
                pv_ready: ids.next(),
                pv_gm_free: ids.next(),
                ubq_full: ids.next(),
                ubq_done: ids.next(),
                ubq_free: ids.next(),
                ubs_full: ids.next(),
                ubp_done: ids.next(),
                ubs_free: ids.next(),
                ubpv_full: ids.next(),
                ubpv_free: ids.next(),
                o_done: ids.next(),
                o_free: ids.next(),
            })
            .collect();
        let p = &plan.kernel.precision;
        let w = Widths {
            operand: u(bytes_of(p.operand)),
            score: u(bytes_of(p.score)),
            stats: u(bytes_of(p.stats)),
            out: u(bytes_of(p.out)),
            output: u(bytes_of(p.output)),
        };
        Self {
            sink,
            plan,
            machine,
            aic,
            aiv,
            w,
        }
    }

    fn op(&mut self, core: Core, op: Op) -> Result<(), SimError> {
        self.sink.push(core, op)
    }

    fn set(&mut self, core: Core, pipe: Pipe, flag: Flag) -> Result<(), SimError> {
        self.sink.push(core, Op::SetFlag { pipe, flag })
    }

    fn wait(&mut self, core: Core, pipe: Pipe, flag: Flag) -> Result<(), SimError> {
        self.sink.push(core, Op::WaitFlag { pipe, flag })
    }

    fn copy(&mut self, core: Core, path: Path, bytes: u32) -> Result<(), SimError> {
        if bytes == 0 {
            return Ok(());
        }
        self.sink.push(core, Op::Copy { path, bytes })
    }

    fn vec(
        &mut self,
        core: Core,
        class: VecClass,
        dtype: Scalar,
        elems: u32,
    ) -> Result<(), SimError> {
        if elems == 0 {
            return Ok(());
        }
        self.sink.push(
            core,
            Op::Vector {
                class,
                dtype: dt(dtype),
                elems,
            },
        )
    }

    fn cast(&mut self, core: Core, from: Scalar, to: Scalar, elems: u32) -> Result<(), SimError> {
        if elems == 0 || from == to {
            return Ok(());
        }
        self.sink.push(
            core,
            Op::Cast {
                from: dt(from),
                to: dt(to),
                elems,
            },
        )
    }

    fn aiv_core(v: usize) -> Core {
        Core::Aiv(u8::try_from(v).unwrap_or(u8::MAX))
    }

    /// Reserves the buffers (the tiling's footprint) and pre-sets the free flags.
    fn init(&mut self) -> Result<(), SimError> {
        let ty = tile_types(&self.plan.kernel, &self.plan.shape, self.plan.vector_cores);
        let need = footprint(self.plan.tiling, &ty);
        for b in [Buffer::L1, Buffer::L0A, Buffer::L0B, Buffer::L0C] {
            self.op(
                Core::Aic,
                Op::Alloc {
                    buffer: b,
                    bytes: need[b.index()],
                },
            )?;
        }
        let f = &self.aic;
        let presets = [
            (Pipe::Mte1, f.kv_free),
            (Pipe::Mte1, f.p_free),
            (Pipe::Mte1, f.q_free),
            (Pipe::Mte1, f.s1_free),
            (Pipe::M, f.a_free),
            (Pipe::M, f.b_free),
            (Pipe::Fix, f.c_free),
        ];
        for (pipe, flag) in presets {
            for _ in 0..SLOTS {
                self.set(Core::Aic, pipe, flag)?;
            }
        }
        for v in 0..self.plan.vector_cores {
            let c = Self::aiv_core(v);
            self.op(
                c,
                Op::Alloc {
                    buffer: Buffer::Ub,
                    bytes: need[Buffer::Ub.index()],
                },
            )?;
            let f = &self.aiv[v];
            let (q_gm_free, p_gm_free) = (f.q_gm_free, f.p_gm_free);
            let slotted = [
                (Pipe::Mte2, f.s_gm_free),
                (Pipe::Mte2, f.pv_gm_free),
                (Pipe::Mte3, f.ubs_free),
                (Pipe::V, f.ubpv_free),
            ];
            let single = [(Pipe::Mte3, f.ubq_free), (Pipe::Mte3, f.o_free)];
            for (pipe, flag) in slotted {
                for _ in 0..SLOTS {
                    self.set(c, pipe, flag)?;
                }
            }
            for (pipe, flag) in single {
                self.set(c, pipe, flag)?;
            }
            for _ in 0..SLOTS {
                self.set(Core::Aic, Pipe::Mte2, q_gm_free)?;
                self.set(Core::Aic, Pipe::Mte2, p_gm_free)?;
            }
        }
        Ok(())
    }

    /// Rows of vector core `v` in `item`.
    fn share_rows(item: &WorkItem, v: usize) -> usize {
        ((v + 1) * item.share).min(item.rows) - (v * item.share).min(item.rows)
    }

    /// Q into L1. With the scale folded into Q ([`ScalePlacement::Query`]) each vector core
    /// first scales its rows (GM->UB, Muls, UB->GM); with [`ScalePlacement::Scores`] the cube
    /// core loads Q as it is and FixPipe scales the scores on their way out of L0C.
    fn q_prep(&mut self, item: &WorkItem) -> Result<(), SimError> {
        let d = self.plan.shape.head_dim;
        let op_ty = self.plan.kernel.precision.operand;
        let (q_free, q_full) = (self.aic.q_free, self.aic.q_full);
        if self.plan.kernel.precision.scale == ScalePlacement::Scores {
            self.wait(Core::Aic, Pipe::Mte2, q_free)?;
            self.copy(Core::Aic, Path::GmToL1, u(item.rows * d) * self.w.operand)?;
            return self.set(Core::Aic, Pipe::Mte2, q_full);
        }
        for v in 0..self.plan.vector_cores {
            let c = Self::aiv_core(v);
            let rows = Self::share_rows(item, v);
            let (ubq_free, ubq_full, ubq_done, q_gm_free, q_ready) = {
                let f = &self.aiv[v];
                (f.ubq_free, f.ubq_full, f.ubq_done, f.q_gm_free, f.q_ready)
            };
            let bytes = u(rows * d) * self.w.operand;
            self.wait(c, Pipe::Mte2, ubq_free)?;
            self.copy(c, Path::GmToUb, bytes)?;
            self.set(c, Pipe::Mte2, ubq_full)?;
            self.wait(c, Pipe::V, ubq_full)?;
            self.vec(c, VecClass::Elementwise, op_ty, u(rows * d))?;
            self.set(c, Pipe::V, ubq_done)?;
            self.wait(c, Pipe::Mte3, ubq_done)?;
            self.wait(c, Pipe::Mte3, q_gm_free)?;
            self.copy(c, Path::UbToGm, bytes)?;
            self.set(c, Pipe::Mte3, ubq_free)?;
            self.set(c, Pipe::Mte3, q_ready)?;
        }
        self.wait(Core::Aic, Pipe::Mte2, q_free)?;
        for v in 0..self.plan.vector_cores {
            let q_ready = self.aiv[v].q_ready;
            self.wait(Core::Aic, Pipe::Mte2, q_ready)?;
        }
        self.copy(Core::Aic, Path::GmToL1, u(item.rows * d) * self.w.operand)?;
        for v in 0..self.plan.vector_cores {
            let q_gm_free = self.aiv[v].q_gm_free;
            self.set(Core::Aic, Pipe::Mte2, q_gm_free)?;
        }
        self.set(Core::Aic, Pipe::Mte2, q_full)
    }

    /// Loads a tile GM -> L1 through the K/V ring and moves it to L0B.
    fn kv_to_l0b(&mut self, bytes: u32) -> Result<(), SimError> {
        let f = &self.aic;
        let (kv_free, kv_full, b_free, b_full) = (f.kv_free, f.kv_full, f.b_free, f.b_full);
        let c = Core::Aic;
        self.wait(c, Pipe::Mte2, kv_free)?;
        self.copy(c, Path::GmToL1, bytes)?;
        self.set(c, Pipe::Mte2, kv_full)?;
        self.wait(c, Pipe::Mte1, kv_full)?;
        self.wait(c, Pipe::Mte1, b_free)?;
        self.copy(c, Path::L1ToL0B, bytes)?;
        self.set(c, Pipe::Mte1, kv_free)?;
        self.set(c, Pipe::Mte1, b_full)
    }

    /// `Mmad` on the a/b/c rings. `a_in`/`a_out`: this product takes / releases the A
    /// operand slot (a Q block spans several products); `c_in`/`c_out`: it starts / ends an
    /// accumulation in L0C (a `P V` reduction spans several pieces).
    #[allow(clippy::too_many_arguments, clippy::fn_params_excessive_bools)]
    fn mmad(
        &mut self,
        (m, n, k): (usize, usize, usize),
        a_in: bool,
        a_out: bool,
        c_in: bool,
        c_out: bool,
    ) -> Result<(), SimError> {
        let f = &self.aic;
        let (a_full, b_full, c_free, a_free, b_free, c_full) =
            (f.a_full, f.b_full, f.c_free, f.a_free, f.b_free, f.c_full);
        let c = Core::Aic;
        if a_in {
            self.wait(c, Pipe::M, a_full)?;
        }
        self.wait(c, Pipe::M, b_full)?;
        if c_in {
            self.wait(c, Pipe::M, c_free)?;
        }
        self.op(
            c,
            Op::Mmad {
                m: u(m),
                n: u(n),
                k: u(k),
            },
        )?;
        if a_out {
            self.set(c, Pipe::M, a_free)?;
        }
        self.set(c, Pipe::M, b_free)?;
        if c_out {
            self.set(c, Pipe::M, c_full)?;
        }
        Ok(())
    }

    /// Moves an A operand L1 -> L0A on the a ring.
    fn load_l0a(&mut self, bytes: u32) -> Result<(), SimError> {
        let (a_free, a_full) = (self.aic.a_free, self.aic.a_full);
        self.wait(Core::Aic, Pipe::Mte1, a_free)?;
        self.copy(Core::Aic, Path::L1ToL0A, bytes)?;
        self.set(Core::Aic, Pipe::Mte1, a_full)
    }

    /// Stage A: the score tile on the cube core, `sub_k` columns at a time.
    fn stage_a(&mut self, item: &WorkItem, pos: usize) -> Result<(), SimError> {
        let first = pos == 0;
        let last = pos + 1 == item.key_blocks;
        if first {
            self.q_prep(item)?;
        }
        let (r, c, d) = (
            item.rows,
            self.plan.tiling.block_k,
            self.plan.shape.head_dim,
        );
        let sub = self.plan.tiling.sub_k;
        let pieces = c / sub;
        let core = Core::Aic;
        let loop_cycles = self.machine.scalar.loop_overhead_cycles;
        self.op(
            core,
            Op::Scalar {
                cycles: loop_cycles,
            },
        )?;
        let (q_full, q_free) = (self.aic.q_full, self.aic.q_free);
        // Q L1 -> L0A, held for the block's products; Q stays in L1 for the whole row block.
        if first {
            self.wait(core, Pipe::Mte1, q_full)?;
        }
        self.load_l0a(u(r * d) * self.w.operand)?;
        if last {
            self.set(core, Pipe::Mte1, q_free)?;
        }
        // Every PASA but key-means takes the row means of S' on the cube.
        let pasa = self.plan.row_means();
        let key_means = matches!(self.plan.pasa, Some((_, Recovery::RelativeKeyMeans)));
        let (c_full, c_free, s1_free, s1_full) = (
            self.aic.c_full,
            self.aic.c_free,
            self.aic.s1_free,
            self.aic.s1_full,
        );
        let piece_bytes = u(r * sub) * self.w.score;
        for i in 0..pieces {
            self.kv_to_l0b(u(sub * d) * self.w.operand)?;
            self.mmad(
                (r, sub, d),
                i == 0,
                i + 1 == pieces && !key_means,
                true,
                true,
            )?;
            self.wait(core, Pipe::Fix, c_full)?;
            if i == 0 {
                for v in 0..self.plan.vector_cores {
                    let s_gm_free = self.aiv[v].s_gm_free;
                    self.wait(core, Pipe::Fix, s_gm_free)?;
                }
            }
            self.copy(core, Path::L0CToGm, piece_bytes)?;
            if pasa {
                // S' also to L1, for the row means on the cube.
                self.wait(core, Pipe::Fix, s1_free)?;
                self.copy(core, Path::L0CToL1, piece_bytes)?;
                self.set(core, Pipe::Fix, s1_full)?;
            }
            self.set(core, Pipe::Fix, c_free)?;
            // The row-mean product of the previous piece, one piece behind so that the
            // cube does not wait for the S' round trip through L1.
            if pasa && i >= 1 {
                self.mean_piece(r, sub, i - 1, pieces)?;
            }
        }
        if key_means {
            // The shift column q . (mean K_j - mean K_0): one more score column, Q still
            // in L0A, the difference (from the prepass) padded to a fractal in L0B.
            let (b_free, b_full) = (self.aic.b_free, self.aic.b_full);
            self.wait(core, Pipe::Mte1, b_free)?;
            self.copy(core, Path::L1ToL0B, u(d * 16) * self.w.operand)?;
            self.set(core, Pipe::Mte1, b_full)?;
            self.mmad((r, 1, d), false, true, true, true)?;
            self.wait(core, Pipe::Fix, c_full)?;
            self.copy(core, Path::L0CToGm, u(r) * self.w.score)?;
            self.set(core, Pipe::Fix, c_free)?;
        }
        if pasa {
            self.mean_piece(r, sub, pieces - 1, pieces)?;
            self.wait(core, Pipe::Fix, c_full)?;
            self.copy(core, Path::L0CToGm, u(r) * self.w.stats)?;
            self.set(core, Pipe::Fix, c_free)?;
        }
        for v in 0..self.plan.vector_cores {
            let s_ready = self.aiv[v].s_ready;
            self.set(core, Pipe::Fix, s_ready)?;
        }
        Ok(())
    }

    /// PASA's row means, piece `i`: `mean_row(S') += S'_i x (1/keys column)_i` in L0C.
    fn mean_piece(
        &mut self,
        r: usize,
        sub: usize,
        i: usize,
        pieces: usize,
    ) -> Result<(), SimError> {
        let core = Core::Aic;
        let (s1_full, s1_free, b_free, b_full) = (
            self.aic.s1_full,
            self.aic.s1_free,
            self.aic.b_free,
            self.aic.b_full,
        );
        self.wait(core, Pipe::Mte1, s1_full)?;
        self.load_l0a(u(r * sub) * self.w.operand)?;
        self.set(core, Pipe::Mte1, s1_free)?;
        self.wait(core, Pipe::Mte1, b_free)?;
        // The 1/keys column, resident in L1, padded to one fractal of columns.
        self.copy(core, Path::L1ToL0B, u(sub * 16) * self.w.operand)?;
        self.set(core, Pipe::Mte1, b_full)?;
        self.mmad((r, 1, sub), true, true, i == 0, i + 1 == pieces)
    }

    /// Stage C: P V on the cube core, reduced over `sub_k`-key pieces in L0C.
    fn stage_c(&mut self, item: &WorkItem) -> Result<(), SimError> {
        let (r, c, dv) = (
            item.rows,
            self.plan.tiling.block_k,
            self.plan.shape.value_dim,
        );
        let sub = self.plan.tiling.sub_k;
        let pieces = c / sub;
        let core = Core::Aic;
        let f = &self.aic;
        let (p_free, p_full, c_full, c_free) = (f.p_free, f.p_full, f.c_full, f.c_free);
        let p_bytes = u(r * sub) * self.w.operand;
        for i in 0..pieces {
            self.kv_to_l0b(u(sub * dv) * self.w.operand)?;
            self.wait(core, Pipe::Mte2, p_free)?;
            if i == 0 {
                for v in 0..self.plan.vector_cores {
                    let p_ready = self.aiv[v].p_ready;
                    self.wait(core, Pipe::Mte2, p_ready)?;
                }
            }
            self.copy(core, Path::GmToL1, p_bytes)?;
            if i + 1 == pieces {
                for v in 0..self.plan.vector_cores {
                    let p_gm_free = self.aiv[v].p_gm_free;
                    self.set(core, Pipe::Mte2, p_gm_free)?;
                }
            }
            self.set(core, Pipe::Mte2, p_full)?;
            self.wait(core, Pipe::Mte1, p_full)?;
            self.load_l0a(p_bytes)?;
            self.set(core, Pipe::Mte1, p_free)?;
            self.mmad((r, dv, sub), true, true, i == 0, i + 1 == pieces)?;
        }
        self.wait(core, Pipe::Fix, c_full)?;
        for v in 0..self.plan.vector_cores {
            let pv_gm_free = self.aiv[v].pv_gm_free;
            self.wait(core, Pipe::Fix, pv_gm_free)?;
        }
        self.copy(core, Path::L0CToGm, u(r * dv) * self.w.out)?;
        self.set(core, Pipe::Fix, c_free)?;
        for v in 0..self.plan.vector_cores {
            let pv_ready = self.aiv[v].pv_ready;
            self.set(core, Pipe::Fix, pv_ready)?;
        }
        Ok(())
    }

    /// Emits the whole program of a cluster whose work is `items`, computing the numbers
    /// through `numerics` when given.
    pub(crate) fn run<T: Real>(
        &mut self,
        items: &[WorkItem],
        mut numerics: Option<&mut Numerics<'_, T>>,
    ) -> Result<(), SimError> {
        self.init()?;
        // Tiles are generated as they are issued (no program or tile list is stored): the
        // current tile gets stage A, the previous one B, the one before C and D.
        let mut tiles = items
            .iter()
            .enumerate()
            .flat_map(|(item, it)| (0..it.key_blocks).map(move |pos| Tile { item, pos }));
        let (mut prev1, mut prev2): (Option<Tile>, Option<Tile>) = (None, None);
        loop {
            let cur = tiles.next();
            if cur.is_none() && prev1.is_none() && prev2.is_none() {
                break;
            }
            if let Some(Tile { item, pos }) = cur {
                self.stage_a(&items[item], pos)?;
            }
            if let Some(Tile { item, pos }) = prev1 {
                self.stage_b(&items[item], pos)?;
            }
            if let Some(Tile { item, pos }) = prev2 {
                let it = &items[item];
                self.stage_c(it)?;
                self.stage_d(it, pos)?;
                if let Some(num) = numerics.as_deref_mut() {
                    if pos == 0 {
                        num.begin_item(it)?;
                    }
                    num.tile(it, pos)?;
                    if pos + 1 == it.key_blocks {
                        num.end_item(it)?;
                    }
                }
            }
            prev2 = prev1;
            prev1 = cur;
        }
        Ok(())
    }
}
