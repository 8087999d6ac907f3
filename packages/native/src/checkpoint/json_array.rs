//! Joins serialized JSON arrays without parsing their elements: a base array plus appended increments
//! become one array, byte for byte what serializing the whole list would have produced.

fn inner(part: &[u8]) -> Result<&[u8], String> {
    let trimmed = part.trim_ascii();
    match (trimmed.first(), trimmed.last()) {
        (Some(b'['), Some(b']')) if trimmed.len() >= 2 => Ok(trimmed[1..trimmed.len() - 1].trim_ascii()),
        _ => Err(format!(
            "expected a serialized JSON array, found {:?}",
            String::from_utf8_lossy(&trimmed[..trimmed.len().min(40)])
        )),
    }
}

pub fn concat_json_arrays<'a, I>(parts: I) -> Result<Vec<u8>, String>
where
    I: IntoIterator<Item = &'a [u8]>,
{
    let parts: Vec<&[u8]> = parts.into_iter().collect();
    let mut out = Vec::with_capacity(parts.iter().map(|p| p.len()).sum::<usize>() + 2);
    out.push(b'[');
    let mut first = true;
    for part in parts {
        let body = inner(part)?;
        if body.is_empty() {
            continue;
        }
        if !first {
            out.push(b',');
        }
        out.extend_from_slice(body);
        first = false;
    }
    out.push(b']');
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn joins_arrays_and_skips_empty_ones() {
        let parts: [&[u8]; 4] = [b"[1,{\"a\":[2]}]", b"[]", b" [3] ", b"[\"x,]\"]"];
        assert_eq!(concat_json_arrays(parts).unwrap(), b"[1,{\"a\":[2]},3,\"x,]\"]".to_vec());
        let none: [&[u8]; 0] = [];
        assert_eq!(concat_json_arrays(none).unwrap(), b"[]".to_vec());
    }

    #[test]
    fn rejects_non_arrays() {
        let parts: [&[u8]; 1] = [b"{\"a\":1}"];
        assert!(concat_json_arrays(parts).unwrap_err().contains("expected a serialized JSON array"));
    }
}
