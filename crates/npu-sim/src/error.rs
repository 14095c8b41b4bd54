//! The crate's one error type: every way a machine description, a kernel or an input can be
//! rejected, each variant carrying the offending value and how to fix it.

use thiserror::Error;

/// Everything that can go wrong in `npu-sim`.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum SimError {
    /// [`crate::Machine::preset`] was given a name it does not ship.
    #[error("unknown preset `{name}`; known presets: {known}")]
    UnknownPreset {
        /// The name asked for.
        name: String,
        /// The names that exist.
        known: String,
    },
    /// A machine description could not be parsed.
    #[error(
        "machine description does not parse: {message}; compare with presets/ascend910b-like.toml"
    )]
    MachineParse {
        /// The parser's message.
        message: String,
    },
    /// A machine description has an out-of-range value.
    #[error(
        "machine field `{field}` = {value} is out of range: values must be positive and finite, within the bounds `Machine::validate` lists"
    )]
    InvalidMachine {
        /// The field.
        field: &'static str,
        /// Its value.
        value: String,
    },
    /// A kernel reserved more of a buffer than the machine has.
    #[error(
        "{core}: {buffer} overflow: {requested} B requested with {in_use} B in use, capacity {capacity} B; use smaller tiles or fewer buffer slots"
    )]
    BufferOverflow {
        /// The core ("aic", "aiv0", ...).
        core: String,
        /// The buffer ("L1", "UB", ...).
        buffer: &'static str,
        /// Bytes requested (after alignment).
        requested: u64,
        /// Bytes already reserved.
        in_use: u64,
        /// The buffer's capacity.
        capacity: u64,
    },
    /// A kernel freed more of a buffer than it had reserved.
    #[error(
        "{core}: freeing {bytes} B of {buffer} with only {in_use} B reserved; pair every Free with an Alloc"
    )]
    BufferUnderflow {
        /// The core.
        core: String,
        /// The buffer.
        buffer: &'static str,
        /// Bytes freed.
        bytes: u64,
        /// Bytes reserved at the time.
        in_use: u64,
    },
    /// A wait reached the executor before any set of its flag: the program would deadlock
    /// (or the kernel emitted the set after the wait).
    #[error(
        "{core}: WaitFlag on pipe {pipe} for flag {flag} has no pending SetFlag; emit the set before the wait or pre-set the flag"
    )]
    WaitWithoutSet {
        /// The core.
        core: String,
        /// The waiting pipe.
        pipe: &'static str,
        /// The flag.
        flag: u16,
    },
    /// A transfer was issued on a core that does not own its path.
    #[error(
        "{core} has no path {path}; GM<->UB belongs to vector cores, the rest to the cube core"
    )]
    PathNotOnCore {
        /// The core.
        core: String,
        /// The path.
        path: &'static str,
    },
    /// A cube or vector instruction was issued on the wrong kind of core.
    #[error("{core} has no {unit} unit on a split machine; issue it on the {expected}")]
    UnitNotOnCore {
        /// The core.
        core: String,
        /// The unit asked for.
        unit: &'static str,
        /// The kind of core that has it.
        expected: &'static str,
    },
    /// A vector core index beyond the machine's vector cores per cube.
    #[error("vector core {index} does not exist: the machine has {count} per cube core")]
    NoSuchCore {
        /// The index used.
        index: u8,
        /// Vector cores per cube core.
        count: u32,
    },
    /// An attention shape is empty or inconsistent.
    #[error("bad attention shape: {what} = {value}; {fix}")]
    BadShape {
        /// The offending dimension.
        what: &'static str,
        /// Its value.
        value: usize,
        /// How to fix it.
        fix: &'static str,
    },
    /// An attention shape whose FLOP or byte count does not fit in 64 bits.
    #[error("attention shape too large: its {what} overflows u64 ({shape}); split the launch")]
    ShapeTooLarge {
        /// The count that overflows ("FLOP count", "HBM byte count").
        what: &'static str,
        /// The shape, as `Debug` prints it.
        shape: String,
    },
    /// No tiling of the kernel fits the machine's buffers.
    #[error(
        "no tiling of {kernel} with head_dim {head_dim} fits: {buffer} needs {needed} B, has {capacity} B"
    )]
    NoTilingFits {
        /// The kernel.
        kernel: &'static str,
        /// The head dimension.
        head_dim: usize,
        /// The buffer that is too small even for the smallest tile.
        buffer: &'static str,
        /// Bytes needed by the smallest tile.
        needed: u64,
        /// The buffer's capacity.
        capacity: u64,
    },
    /// An input tensor has the wrong number of elements for the shape.
    #[error("{tensor} has {got} elements, the shape needs {expected}")]
    InputLength {
        /// Which tensor ("q", "k", "v").
        tensor: &'static str,
        /// Elements given.
        got: usize,
        /// Elements expected.
        expected: usize,
    },
    /// The kernel's precision configuration cannot run on the simulated machine.
    #[error("unsupported precision: {what}; {fix}")]
    UnsupportedPrecision {
        /// What the configuration asks for.
        what: &'static str,
        /// How to fix it.
        fix: &'static str,
    },
    /// The numerical model in `pasa-core` rejected a step.
    #[error("pasa-core rejected a tile step: {message}")]
    Numerics {
        /// pasa-core's message.
        message: String,
    },
}
