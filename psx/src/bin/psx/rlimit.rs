//! `psx rlimit PID [NAME[=SOFT:HARD]]...`, like util-linux `prlimit --pid`.

use std::io::{self, Write};

use psx::{Limit, Process, RLimit, Resource};

use crate::{complain, failed, parse_pid, usage, Status};

/// One LIMIT argument.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Spec {
    /// `NAME`: show it.
    Show(Resource),
    /// `NAME=SOFT:HARD` and its partial forms: a side left `None` keeps its value.
    Set {
        resource: Resource,
        soft: Option<Limit>,
        hard: Option<Limit>,
    },
}

/// Parses one LIMIT argument; every error is bad usage.
fn parse_spec(arg: &str) -> Result<Spec, String> {
    let (name, value) = match arg.split_once('=') {
        Some((name, value)) => (name, Some(value)),
        None => (arg, None),
    };
    let resource = Resource::from_name(name)
        .filter(|r| psx::resources().any(|have| have == *r))
        .ok_or_else(|| format!("{name}: unknown resource (see psx rlimit --help)"))?;
    let Some(value) = value else {
        return Ok(Spec::Show(resource));
    };
    let side = |s: &str| -> Result<Option<Limit>, String> {
        if s.is_empty() {
            return Ok(None);
        }
        s.parse::<Limit>()
            .map(Some)
            .map_err(|_| format!("{arg}: invalid value '{s}' (expected a number or \"unlimited\")"))
    };
    let (soft, hard) = match value.split_once(':') {
        Some((soft, hard)) => (side(soft)?, side(hard)?),
        None => {
            let both = side(value)?;
            (both, both)
        }
    };
    if soft.is_none() && hard.is_none() {
        return Err(format!(
            "{arg}: no value given (expected SOFT:HARD, SOFT:, :HARD or VALUE)"
        ));
    }
    if let (Some(s), Some(h)) = (soft, hard) {
        // Compared as the kernel compares them: on Linux unlimited is u64::MAX.
        if RLimit::new(s, h)
            .normalized(psx::RLIM_INFINITY)
            .validate()
            .is_err()
        {
            return Err(format!("{arg}: current limit exceeds maximum limit"));
        }
    }
    Ok(Spec::Set {
        resource,
        soft,
        hard,
    })
}

fn pair(limit: RLimit) -> String {
    format!("{}:{}", limit.soft, limit.hard)
}

pub fn run(out: &mut impl Write, pid_arg: &str, args: &[String]) -> io::Result<Status> {
    let pid = match parse_pid(pid_arg) {
        Ok(pid) => pid,
        Err(status) => return Ok(status),
    };
    let mut specs = Vec::with_capacity(args.len());
    for arg in args {
        match parse_spec(arg) {
            Ok(spec) => specs.push(spec),
            Err(message) => return Ok(usage(message)),
        }
    }
    if specs.is_empty() {
        specs = psx::resources().map(Spec::Show).collect();
    }
    // A handle, so every read and write below reaches the same process.
    let proc = match Process::new(pid) {
        Ok(proc) => proc,
        Err(err) => return Ok(failed(pid_arg, &err)),
    };

    // In order, each against the limits in force when its turn comes, as prlimit does;
    // the first refusal stops the run.
    let mut header_written = false;
    for spec in specs {
        match spec {
            Spec::Show(resource) => {
                let limit = match proc.getrlimit(resource) {
                    Ok(limit) => limit,
                    Err(err) => return Ok(failed(pid_arg, &err)),
                };
                if !header_written {
                    writeln!(out, "{:<12}{:>20} {:>20}", "RESOURCE", "SOFT", "HARD")?;
                    header_written = true;
                }
                writeln!(
                    out,
                    "{:<12}{:>20} {:>20}",
                    resource.name(),
                    limit.soft.to_string(),
                    limit.hard.to_string()
                )?;
            }
            Spec::Set {
                resource,
                soft,
                hard,
            } => {
                let current = match proc.getrlimit(resource) {
                    Ok(current) => current,
                    Err(err) => return Ok(failed(pid_arg, &err)),
                };
                let new = RLimit::new(soft.unwrap_or(current.soft), hard.unwrap_or(current.hard));
                match proc.rlimit(resource, Some(new)) {
                    Ok(old) => writeln!(out, "{resource}: {} -> {}", pair(old), pair(new))?,
                    Err(err) => {
                        complain(format_args!(
                            "{pid_arg}: {resource}={}: {}",
                            pair(new),
                            err.reason()
                        ));
                        return Ok(Status::SomeFailed);
                    }
                }
            }
        }
    }
    Ok(Status::Ok)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn specs_parse_like_prlimit() {
        let set = |s, h| {
            Ok(Spec::Set {
                resource: Resource::Nofile,
                soft: s,
                hard: h,
            })
        };
        assert_eq!(parse_spec("nofile"), Ok(Spec::Show(Resource::Nofile)));
        assert_eq!(
            parse_spec("nofile=10:20"),
            set(Some(Limit::Value(10)), Some(Limit::Value(20)))
        );
        assert_eq!(parse_spec("nofile=10:"), set(Some(Limit::Value(10)), None));
        assert_eq!(parse_spec("nofile=:20"), set(None, Some(Limit::Value(20))));
        assert_eq!(
            parse_spec("nofile=unlimited"),
            set(Some(Limit::Unlimited), Some(Limit::Unlimited))
        );
        // The same value, as Linux reads it.
        assert!(parse_spec("core=unlimited:18446744073709551615").is_ok());
        assert!(parse_spec("core=18446744073709551615:unlimited").is_ok());
        for bad in [
            "bogus",
            "nofile=10:5",
            "nofile=x:y",
            "nofile=",
            "nofile=:",
            "=5",
            "nofile=-5:",
            "nofile=1:2:3",
        ] {
            assert!(parse_spec(bad).is_err(), "{bad}");
        }
    }
}
