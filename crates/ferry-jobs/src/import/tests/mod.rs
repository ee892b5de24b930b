//! Tests of the import runner: the pipeline against in-memory sources and
//! sinks, and the whole runner against a real engine.

mod fakes;
mod pipeline;
mod runner;
