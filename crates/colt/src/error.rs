//! The crate's one error type: every way user input can be rejected, as data.
//!
//! Each variant carries the offending value or index and its message says how to fix the call.

use thiserror::Error;

/// Errors returned by `colt` constructors and products.
#[derive(Debug, Clone, PartialEq, Error)]
#[non_exhaustive]
pub enum ColtError {
    /// Two inputs that must have related lengths do not.
    #[error(
        "length mismatch for `{what}`: expected {expected}, found {found}; pass a slice of the matrix dimension (ratios: dimension - 1)"
    )]
    LengthMismatch {
        /// Which argument.
        what: &'static str,
        /// Length required by the other arguments.
        expected: usize,
        /// Length given.
        found: usize,
    },
    /// A parameter or input entry is NaN or infinite where only finite values are allowed.
    #[error(
        "`{what}[{index}]` = {value} is not finite; CoLT parameters and inputs must be finite (use the log form for values beyond the float range)"
    )]
    NonFinite {
        /// Which argument.
        what: &'static str,
        /// Position of the offending entry.
        index: usize,
        /// The entry, widened to `f64`.
        value: f64,
    },
    /// A parameter that must be strictly positive is not.
    #[error("`{what}` = {value} must be strictly positive and finite")]
    NonPositive {
        /// Which argument.
        what: &'static str,
        /// The value, widened to `f64`.
        value: f64,
    },
    /// An entry that must be non-negative (to take its logarithm) is negative.
    #[error(
        "`{what}[{index}]` = {value} is negative; the log parametrisation needs non-negative entries"
    )]
    Negative {
        /// Which argument.
        what: &'static str,
        /// Position of the offending entry.
        index: usize,
        /// The entry, widened to `f64`.
        value: f64,
    },
    /// A value that ratios are divided by is zero (a row or column factor, or a scaling).
    #[error(
        "`{what}[{index}]` is zero; the ratio form divides by it (use the log form, or drop the zero row/column first)"
    )]
    ZeroDivisor {
        /// Which argument.
        what: &'static str,
        /// Position of the zero.
        index: usize,
    },
    /// A 1D support is not sorted in non-decreasing order.
    #[error("support is not sorted: x[{index}] = {previous} > x[{}] = {next}; sort the points (and their weights) first", index + 1)]
    UnsortedSupport {
        /// Index of the first point of the offending pair.
        index: usize,
        /// `x[index]`.
        previous: f64,
        /// `x[index + 1]`.
        next: f64,
    },
    /// A sorted support whose extent `x[last] - x[first]` overflows the float range, so the
    /// distances `|x_i - x_j|` of the distance-weighted products are not representable.
    #[error(
        "support spans x[0] = {first} to x[{last_index}] = {last}, a distance beyond the float range; shift or rescale the support"
    )]
    SpanOverflow {
        /// `x[0]`, widened to `f64`.
        first: f64,
        /// Index of the last point.
        last_index: usize,
        /// `x[last_index]`, widened to `f64`.
        last: f64,
    },
    /// An input that must be non-empty is empty.
    #[error("`{what}` is empty; this operation needs at least one entry")]
    Empty {
        /// Which argument.
        what: &'static str,
    },
    /// A dense matrix given to a CoLT constructor is not square.
    #[error("matrix is {rows}x{cols}; CoLT matrices are square")]
    NotSquare {
        /// Number of rows.
        rows: usize,
        /// Number of columns.
        cols: usize,
    },
    /// A dense matrix has a zero diagonal entry, which the ratio form cannot represent.
    #[error("diagonal entry ({index}, {index}) is zero; the ratio form needs a nonzero diagonal")]
    ZeroDiagonal {
        /// Row (and column) of the zero diagonal entry.
        index: usize,
    },
    /// A dense matrix is not collinear triangular within the tolerance.
    #[error(
        "matrix is not CoLT: entry ({row}, {col}) is {found}, the CoLT fit predicts {expected} (tolerance {tolerance}); check the input or raise the tolerance"
    )]
    NotColt {
        /// Row of the first entry that violates the structure.
        row: usize,
        /// Column of that entry.
        col: usize,
        /// Value predicted from the diagonal and the first sub/super-diagonal.
        expected: f64,
        /// Value found in the matrix.
        found: f64,
        /// Absolute tolerance used.
        tolerance: f64,
    },
    /// A 2D array's length does not match `rows * cols`, or the operator does not fit the axis.
    #[error(
        "array of length {len} viewed as {rows}x{cols} (axis {axis}) does not match an operator of dimension {dim}"
    )]
    ShapeMismatch {
        /// Rows of the row-major view.
        rows: usize,
        /// Columns of the row-major view.
        cols: usize,
        /// Length of the slice given.
        len: usize,
        /// Axis the operator was applied along.
        axis: usize,
        /// Dimension of the operator.
        dim: usize,
    },
    /// Every input is finite but a result is not: a product, sum or entry left the float
    /// range (ratios above 1 compounding over many rows, or values near the top of the
    /// range). The ratio form cannot hold it; the log form ([`crate::LogColtPair`]) can.
    #[error(
        "`{what}[{index}]` = {value}: the result left the float range although every input is finite; use the log form (LogColtPair) or rescale the inputs"
    )]
    Overflow {
        /// Which result (`out`, `sum`, `entry`).
        what: &'static str,
        /// Position of the first non-finite result entry (0 for a scalar).
        index: usize,
        /// The result entry, widened to `f64` (infinite or NaN).
        value: f64,
    },
    /// A uniform grid whose step is below two units in the last place of its largest
    /// coordinate: consecutive points would round to the same float or to unevenly spaced
    /// ones, so the grid is not the uniform grid asked for.
    #[error(
        "grid step {step} is below two ulps of the coordinate {coordinate} (one ulp = {ulp}); shift the grid towards 0 (e.g. start at 0) or use a larger step"
    )]
    DegenerateSpacing {
        /// The step asked for, widened to `f64`.
        step: f64,
        /// The coordinate of largest magnitude (`start` or the last point).
        coordinate: f64,
        /// One unit in the last place of `coordinate`.
        ulp: f64,
    },
    /// A tolerance that must be finite and non-negative is not (a NaN tolerance would make
    /// every comparison pass).
    #[error("tolerance `{what}` = {value} must be finite and >= 0")]
    InvalidTolerance {
        /// Which argument.
        what: &'static str,
        /// The value, widened to `f64`.
        value: f64,
    },
    /// A buffer the call would allocate is larger than memory allows.
    #[error(
        "`{what}` needs {elements} elements ({bytes} bytes), which cannot be allocated; use a smaller size or the O(N) products instead of dense matrices"
    )]
    TooLarge {
        /// Which buffer.
        what: &'static str,
        /// Number of elements asked for.
        elements: u128,
        /// Bytes asked for.
        bytes: u128,
    },
    /// An entry index is outside the matrix.
    #[error("index ({row}, {col}) is out of bounds for a {dim}x{dim} matrix")]
    IndexOutOfBounds {
        /// Row asked for.
        row: usize,
        /// Column asked for.
        col: usize,
        /// Matrix dimension.
        dim: usize,
    },
}

/// Result alias for this crate.
pub type Result<T, E = ColtError> = core::result::Result<T, E>;
