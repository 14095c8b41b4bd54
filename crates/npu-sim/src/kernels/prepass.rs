//! PASA's prepass in the IR: the shifted keys `K' = M K_j` (and, for key-means recovery,
//! `mean(K_j) - mean(K_0)`) for every key block, computed once per (batch, kv head) before
//! the attention launch, since they do not depend on the queries.

use crate::error::SimError;
use crate::ir::{Buffer, Core, Flag, InstrSink, Op, Path, Pipe};
use crate::kernels::u;
use crate::tiling::SLOTS;

/// One double-buffered load on the cube core: `bytes` GM -> L1 (MTE2), then L1 -> L0 on
/// `path` (MTE1), guarded by the flags `[l1_free, l1_full, l0_free, l0_full]`.
fn stage_in<S: InstrSink>(
    sink: &mut S,
    [l1_free, l1_full, l0_free, l0_full]: [Flag; 4],
    bytes: u32,
    path: Path,
) -> Result<(), SimError> {
    let core = Core::Aic;
    sink.push(
        core,
        Op::WaitFlag {
            pipe: Pipe::Mte2,
            flag: l1_free,
        },
    )?;
    sink.push(
        core,
        Op::Copy {
            path: Path::GmToL1,
            bytes,
        },
    )?;
    sink.push(
        core,
        Op::SetFlag {
            pipe: Pipe::Mte2,
            flag: l1_full,
        },
    )?;
    sink.push(
        core,
        Op::WaitFlag {
            pipe: Pipe::Mte1,
            flag: l1_full,
        },
    )?;
    sink.push(
        core,
        Op::WaitFlag {
            pipe: Pipe::Mte1,
            flag: l0_free,
        },
    )?;
    sink.push(core, Op::Copy { path, bytes })?;
    sink.push(
        core,
        Op::SetFlag {
            pipe: Pipe::Mte1,
            flag: l1_free,
        },
    )?;
    sink.push(
        core,
        Op::SetFlag {
            pipe: Pipe::Mte1,
            flag: l0_full,
        },
    )
}

/// FixPipe writes `bytes` of L0C to GM once `c_full` is set, then frees the L0C slot.
fn drain<S: InstrSink>(
    sink: &mut S,
    [c_full, c_free]: [Flag; 2],
    bytes: u32,
) -> Result<(), SimError> {
    let core = Core::Aic;
    sink.push(
        core,
        Op::WaitFlag {
            pipe: Pipe::Fix,
            flag: c_full,
        },
    )?;
    sink.push(
        core,
        Op::Copy {
            path: Path::L0CToGm,
            bytes,
        },
    )?;
    sink.push(
        core,
        Op::SetFlag {
            pipe: Pipe::Fix,
            flag: c_free,
        },
    )
}

/// The PASA prepass on one cluster: `K' = M K_j` for its share of the key blocks, written
/// back to GM in the operand type. The `block_k x block_k` shifting matrix does not fit L0A
/// for large blocks, so the product is tiled like any matmul: output rows in `sub_k` pieces,
/// each reduced over `sub_k` pieces of M and K_j accumulated in L0C. With `key_means`, each
/// block also gets `mean(K_j) - mean(K_0)`: a `1 x 2 block_k` by `2 block_k x head_dim`
/// product over the pieces of K_j and K_0 (streamed again), written out in the operand type.
pub(crate) fn emit_prepass<S: InstrSink>(
    sink: &mut S,
    blocks: usize,
    (block_k, sub_k, head_dim): (usize, usize, usize),
    operand_bytes: u32,
    key_means: bool,
) -> Result<(), SimError> {
    let core = Core::Aic;
    let (c, sub, d) = (block_k, sub_k.max(1), head_dim);
    let pieces = c.div_ceil(sub);
    let ids: [Flag; 10] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];
    let [
        m_full,
        m_free,
        kv_full,
        kv_free,
        a_full,
        a_free,
        b_full,
        b_free,
        c_full,
        c_free,
    ] = ids;
    let m_piece = u(sub * sub) * operand_bytes;
    let k_piece = u(sub * d) * operand_bytes;
    let slots = SLOTS as u64;
    for (buffer, bytes) in [
        (Buffer::L1, slots * u64::from(m_piece + k_piece)),
        (Buffer::L0A, slots * u64::from(m_piece)),
        (Buffer::L0B, slots * u64::from(k_piece)),
        (Buffer::L0C, slots * (sub * d * 4) as u64),
    ] {
        sink.push(core, Op::Alloc { buffer, bytes })?;
    }
    let set = |sink: &mut S, pipe, flag| sink.push(core, Op::SetFlag { pipe, flag });
    let wait = |sink: &mut S, pipe, flag| sink.push(core, Op::WaitFlag { pipe, flag });
    for _ in 0..SLOTS {
        set(sink, Pipe::Mte1, m_free)?;
        set(sink, Pipe::Mte1, kv_free)?;
        set(sink, Pipe::M, a_free)?;
        set(sink, Pipe::M, b_free)?;
        set(sink, Pipe::Fix, c_free)?;
    }
    for _ in 0..blocks {
        for _row in 0..pieces {
            for k in 0..pieces {
                stage_in(
                    sink,
                    [m_free, m_full, a_free, a_full],
                    m_piece,
                    Path::L1ToL0A,
                )?;
                stage_in(
                    sink,
                    [kv_free, kv_full, b_free, b_full],
                    k_piece,
                    Path::L1ToL0B,
                )?;
                wait(sink, Pipe::M, a_full)?;
                wait(sink, Pipe::M, b_full)?;
                if k == 0 {
                    wait(sink, Pipe::M, c_free)?;
                }
                sink.push(
                    core,
                    Op::Mmad {
                        m: u(sub),
                        n: u(d),
                        k: u(sub),
                    },
                )?;
                set(sink, Pipe::M, a_free)?;
                set(sink, Pipe::M, b_free)?;
                if k + 1 == pieces {
                    set(sink, Pipe::M, c_full)?;
                }
            }
            drain(sink, [c_full, c_free], k_piece)?;
        }
        if key_means {
            for k in 0..pieces {
                for src in 0..2 {
                    stage_in(
                        sink,
                        [kv_free, kv_full, b_free, b_full],
                        k_piece,
                        Path::L1ToL0B,
                    )?;
                    wait(sink, Pipe::M, b_full)?;
                    if k == 0 && src == 0 {
                        wait(sink, Pipe::M, c_free)?;
                    }
                    sink.push(
                        core,
                        Op::Mmad {
                            m: 1,
                            n: u(d),
                            k: u(sub),
                        },
                    )?;
                    set(sink, Pipe::M, b_free)?;
                    if k + 1 == pieces && src == 1 {
                        set(sink, Pipe::M, c_full)?;
                    }
                }
            }
            drain(sink, [c_full, c_free], u(d) * operand_bytes)?;
        }
    }
    Ok(())
}
