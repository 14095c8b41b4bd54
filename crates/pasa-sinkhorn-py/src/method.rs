//! The `method` names of `sinkhorn2` and of the pairwise functions, in one table.
//!
//! Both functions read the same names for the same solvers ("sinkhorn" is FS-1 in the
//! standard domain in either), so the names, their solvers and which function accepts
//! each live in one place; the exported lists (`SINKHORN_METHODS`, `PAIRWISE_METHODS`)
//! and the "unknown method" errors are read from it.

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use sinkhorn::Domain;

/// The solver behind a `method` name.
#[derive(Clone, Copy)]
pub(crate) enum Method {
    /// Exact W1 (`exact_w1`, or the CDF formula on a line); no regularisation.
    Exact,
    /// FS-1 in one domain.
    Fs1(Domain),
    /// FS-2 (IPOT).
    Ipot,
}

/// The function that reads a `method`.
#[derive(Clone, Copy)]
pub(crate) enum Reader {
    /// `pasa_sinkhorn.ot.sinkhorn2` (POT's methods of the same names, plus "ipot").
    Sinkhorn2,
    /// `pairwise_check`, `pairwise_pdist`, `pairwise_cdist` (`sinkhorn::batch`'s costs).
    Pairwise,
}

/// One `method` name: its solver and the functions that accept it.
struct Entry {
    name: &'static str,
    method: Method,
    sinkhorn2: bool,
    pairwise: bool,
}

/// Every `method` name, in the order the error messages and exported lists give them.
const METHODS: [Entry; 5] = [
    Entry {
        name: "emd",
        method: Method::Exact,
        sinkhorn2: false,
        pairwise: true,
    },
    Entry {
        name: "sinkhorn",
        method: Method::Fs1(Domain::Standard),
        sinkhorn2: true,
        pairwise: true,
    },
    Entry {
        name: "sinkhorn_log",
        method: Method::Fs1(Domain::Log),
        sinkhorn2: true,
        pairwise: true,
    },
    Entry {
        name: "sinkhorn_stabilized",
        method: Method::Fs1(Domain::Stabilized),
        sinkhorn2: true,
        pairwise: true,
    },
    // `sinkhorn::batch::PairCost` has no IPOT cost.
    Entry {
        name: "ipot",
        method: Method::Ipot,
        sinkhorn2: true,
        pairwise: false,
    },
];

impl Reader {
    fn accepts(self, entry: &Entry) -> bool {
        match self {
            Reader::Sinkhorn2 => entry.sinkhorn2,
            Reader::Pairwise => entry.pairwise,
        }
    }

    /// The names this function accepts, in table order.
    pub(crate) fn names(self) -> Vec<&'static str> {
        METHODS
            .iter()
            .filter(|e| self.accepts(e))
            .map(|e| e.name)
            .collect()
    }

    /// The solver named `name`.
    ///
    /// # Errors
    /// `ValueError` listing the accepted names when this function does not accept `name`.
    pub(crate) fn method(self, name: &str) -> PyResult<Method> {
        METHODS
            .iter()
            .find(|e| e.name == name && self.accepts(e))
            .map(|e| e.method)
            .ok_or_else(|| {
                let names = self.names().join(", ");
                PyValueError::new_err(format!("unknown method {name:?}; use one of {names}"))
            })
    }
}
