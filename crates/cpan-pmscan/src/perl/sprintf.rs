//! Perl's `sprintf` for the conversions `$VERSION` lines use.

use super::value::{format_g, Sv};

/// Widths and precisions beyond this are refused rather than allocated.
const MAX_WIDTH: usize = 4096;

/// Formats `args` with `format`. `Err` carries a reason when the format is outside the subset.
pub fn sprintf(format: &str, args: &[Sv]) -> Result<String, String> {
    let chars: Vec<char> = format.chars().collect();
    let mut out = String::new();
    let mut next_arg = 0usize;
    let take = |next_arg: &mut usize| -> Sv {
        let v = args.get(*next_arg).cloned().unwrap_or(Sv::Undef);
        *next_arg += 1;
        v
    };
    let mut i = 0;
    while let Some(&c) = chars.get(i) {
        if c != '%' {
            out.push(c);
            i += 1;
            continue;
        }
        let start = i;
        i += 1;
        if chars.get(i) == Some(&'%') {
            out.push('%');
            i += 1;
            continue;
        }
        let mut left = false;
        let mut plus = false;
        let mut space = false;
        let mut zero = false;
        let mut alternate = false;
        let mut vector = false;
        loop {
            match chars.get(i) {
                Some('-') => left = true,
                Some('+') => plus = true,
                Some(' ') => space = true,
                Some('0') => zero = true,
                Some('#') => alternate = true,
                Some('v') => vector = true,
                _ => break,
            }
            i += 1;
        }
        let mut width: Option<usize> = None;
        if chars.get(i) == Some(&'*') {
            i += 1;
            let w = take(&mut next_arg).to_f64() as i64;
            if w < 0 {
                left = true;
            }
            width = Some(w.unsigned_abs() as usize);
        } else {
            let mut w = String::new();
            while let Some(&d) = chars.get(i).filter(|c| c.is_ascii_digit()) {
                w.push(d);
                i += 1;
            }
            if !w.is_empty() {
                width = Some(w.parse().map_err(|_| "sprintf width".to_string())?);
            }
        }
        let mut precision: Option<usize> = None;
        if chars.get(i) == Some(&'.') {
            i += 1;
            if chars.get(i) == Some(&'*') {
                i += 1;
                let p = take(&mut next_arg).to_f64() as i64;
                precision = if p < 0 { None } else { Some(p as usize) };
            } else {
                let mut p = String::new();
                while let Some(&d) = chars.get(i).filter(|c| c.is_ascii_digit()) {
                    p.push(d);
                    i += 1;
                }
                precision = Some(p.parse().unwrap_or(0));
            }
        }
        while matches!(
            chars.get(i),
            Some('h' | 'l' | 'q' | 'L' | 'V' | 'z' | 't' | 'j')
        ) {
            i += 1;
        }
        if width.unwrap_or(0) > MAX_WIDTH || precision.unwrap_or(0) > MAX_WIDTH {
            return Err("sprintf width or precision too large".into());
        }
        let Some(&conv) = chars.get(i) else {
            // An incomplete conversion is copied as it is.
            out.extend(&chars[start..]);
            break;
        };
        i += 1;
        if vector {
            if conv != 'd' {
                return Err(format!("sprintf %v{conv}"));
            }
            let value = take(&mut next_arg).to_str();
            let joined: Vec<String> = value.chars().map(|c| (c as u32).to_string()).collect();
            out.push_str(&pad(joined.join("."), width, left, false));
            continue;
        }
        let body = match conv {
            'd' | 'i' | 'u' => {
                let n = take(&mut next_arg).to_num();
                let v = match n {
                    super::value::Num::Int(i) => i as i128,
                    super::value::Num::Float(f) => {
                        if f.is_nan() {
                            return Err("sprintf %d of NaN".into());
                        }
                        f.trunc().clamp(i64::MIN as f64, u64::MAX as f64) as i128
                    }
                };
                let mut digits = v.unsigned_abs().to_string();
                if let Some(p) = precision {
                    while digits.len() < p {
                        digits.insert(0, '0');
                    }
                    if p == 0 && v == 0 {
                        digits.clear();
                    }
                }
                let sign = if v < 0 {
                    "-"
                } else if plus {
                    "+"
                } else if space {
                    " "
                } else {
                    ""
                };
                zero_pad(sign, digits, width, left, zero && precision.is_none())
            }
            's' => {
                let mut s = take(&mut next_arg).to_str();
                if let Some(p) = precision {
                    s = s.chars().take(p).collect();
                }
                pad(s, width, left, zero)
            }
            'c' => {
                let n = take(&mut next_arg).to_f64() as i64;
                let c = u32::try_from(n)
                    .ok()
                    .and_then(char::from_u32)
                    .ok_or_else(|| "sprintf %c out of range".to_string())?;
                pad(c.to_string(), width, left, zero)
            }
            'x' | 'X' | 'o' | 'b' | 'B' => {
                let f = take(&mut next_arg).to_f64();
                if !(0.0..=u64::MAX as f64).contains(&f) {
                    return Err("sprintf of a negative or huge number in base".into());
                }
                let v = f.trunc() as u64;
                let mut digits = match conv {
                    'x' => format!("{v:x}"),
                    'X' => format!("{v:X}"),
                    'o' => format!("{v:o}"),
                    _ => format!("{v:b}"),
                };
                if let Some(p) = precision {
                    while digits.len() < p {
                        digits.insert(0, '0');
                    }
                }
                let prefix = if alternate && v != 0 {
                    match conv {
                        'x' => "0x",
                        'X' => "0X",
                        'b' => "0b",
                        'B' => "0B",
                        _ => "0",
                    }
                } else {
                    ""
                };
                zero_pad(prefix, digits, width, left, zero && precision.is_none())
            }
            'f' | 'F' | 'e' | 'E' | 'g' | 'G' => {
                let f = take(&mut next_arg).to_f64();
                let p = precision.unwrap_or(6);
                let (sign, magnitude) = if f.is_sign_negative() {
                    ("-", -f)
                } else if plus {
                    ("+", f)
                } else if space {
                    (" ", f)
                } else {
                    ("", f)
                };
                let sign = if f < 0.0 || (f == 0.0 && f.is_sign_negative()) {
                    "-"
                } else {
                    sign
                };
                let magnitude = magnitude.abs();
                if !magnitude.is_finite() {
                    let text = if magnitude.is_nan() { "NaN" } else { "Inf" };
                    return Ok(out + &pad(format!("{sign}{text}"), width, left, false));
                }
                let digits = match conv {
                    'f' | 'F' => format!("{:.*}", p, magnitude),
                    'e' | 'E' => {
                        let s = c_exp(magnitude, p);
                        if conv == 'E' {
                            s.to_uppercase()
                        } else {
                            s
                        }
                    }
                    _ => {
                        let s = if magnitude == 0.0 {
                            "0".to_string()
                        } else {
                            format_g(magnitude, if p == 0 { 1 } else { p }, alternate)
                        };
                        if conv == 'G' {
                            s.to_uppercase()
                        } else {
                            s
                        }
                    }
                };
                zero_pad(sign, digits, width, left, zero)
            }
            other => {
                // Perl copies an invalid conversion verbatim.
                let _ = other;
                chars[start..i].iter().collect()
            }
        };
        out.push_str(&body);
    }
    Ok(out)
}

fn c_exp(x: f64, precision: usize) -> String {
    let s = format!("{:.*e}", precision, x);
    match s.split_once('e') {
        Some((m, e)) => {
            let exp: i32 = e.parse().unwrap_or(0);
            let sign = if exp < 0 { '-' } else { '+' };
            format!("{m}e{sign}{:02}", exp.abs())
        }
        None => s,
    }
}

fn pad(s: String, width: Option<usize>, left: bool, zero: bool) -> String {
    let len = s.chars().count();
    match width {
        Some(w) if w > len => {
            let fill: String = std::iter::repeat(if zero && !left { '0' } else { ' ' })
                .take(w - len)
                .collect();
            if left {
                s + &fill
            } else {
                fill + &s
            }
        }
        _ => s,
    }
}

fn zero_pad(sign: &str, digits: String, width: Option<usize>, left: bool, zero: bool) -> String {
    let len = sign.len() + digits.chars().count();
    match width {
        Some(w) if w > len => {
            if left {
                format!("{sign}{digits}{}", " ".repeat(w - len))
            } else if zero {
                format!("{sign}{}{digits}", "0".repeat(w - len))
            } else {
                format!("{}{sign}{digits}", " ".repeat(w - len))
            }
        }
        _ => format!("{sign}{digits}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f(fmt: &str, args: &[Sv]) -> String {
        sprintf(fmt, args).unwrap()
    }

    #[test]
    fn common_version_formats() {
        assert_eq!(
            f("%d.%02d", &[Sv::Str("1".into()), Sv::Str("5".into())]),
            "1.05"
        );
        assert_eq!(f("%d.%03d", &[Sv::Int(2), Sv::Int(7)]), "2.007");
        assert_eq!(f("%.2f", &[Sv::Num(1.5)]), "1.50");
        assert_eq!(f("%s", &[Sv::Str("x".into())]), "x");
        assert_eq!(
            f("%5s|%-5s|", &[Sv::Str("a".into()), Sv::Str("b".into())]),
            "    a|b    |"
        );
        assert_eq!(f("%vd", &[Sv::Str("\u{1}\u{2}\u{3}".into())]), "1.2.3");
        assert_eq!(f("%e", &[Sv::Num(1500.0)]), "1.500000e+03");
        assert_eq!(f("%g", &[Sv::Num(0.0001)]), "0.0001");
        assert_eq!(f("%d%%", &[Sv::Int(5)]), "5%");
        assert_eq!(f("%d", &[]), "0");
    }
}
