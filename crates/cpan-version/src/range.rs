//! Version ranges (CPAN::Meta::Requirements).
