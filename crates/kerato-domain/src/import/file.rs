//! Reading a CSV export as spreadsheets and other systems write it: RFC
//! 4180 quoting (commas, quotes and line breaks inside double quotes),
//! UTF-8 with or without a byte order mark, CRLF or LF line ends.
//!
//! A problem with the file as a whole (no header, a header that is not
//! UTF-8, two columns of one name) stops the import; a problem with one
//! row (the wrong number of values, bytes that are not UTF-8, a value too
//! long to be real) refuses that row only and names it.

/// Longest value a cell may hold, in characters. Nothing Kerato imports is
/// longer; a longer cell is usually a quote left open that swallowed the
/// rows after it.
pub const MAX_CELL_CHARS: usize = 1_000;
/// Most columns a file may have.
pub const MAX_COLUMNS: usize = 500;

/// A file that cannot be imported at all.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FileError {
    #[error("the file is empty: export it again with a header row naming the columns")]
    Empty,
    #[error(
        "the header row is not UTF-8 text: save the file as UTF-8 (in Excel: CSV UTF-8) and try again"
    )]
    HeaderNotUtf8,
    #[error("column {0} of the header has no name: give every column a name")]
    UnnamedColumn(usize),
    #[error("two columns are named {0:?}: rename one so each column has its own name")]
    DuplicateColumn(String),
    #[error("the header has {0} columns; at most {MAX_COLUMNS} can be read")]
    TooManyColumns(usize),
}

/// One data row: its number as a spreadsheet shows it (the header is row
/// 1) and its values, or why they cannot be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceRow {
    pub number: u64,
    pub cells: Result<Vec<String>, String>,
}

/// A whole file: the header's column names and every data row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceTable {
    pub header: Vec<String>,
    pub rows: Vec<SourceRow>,
}

const BOM: &[u8] = b"\xEF\xBB\xBF";

/// Reads `bytes` as a CSV file with a header row.
pub fn read_table(bytes: &[u8]) -> Result<SourceTable, FileError> {
    let bytes = bytes.strip_prefix(BOM).unwrap_or(bytes);
    let mut reader = ::csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(bytes);
    let mut records = reader.byte_records();
    let header = match records.next() {
        None => return Err(FileError::Empty),
        Some(Err(_)) => return Err(FileError::HeaderNotUtf8),
        Some(Ok(h)) => h,
    };
    let mut names: Vec<String> = Vec::with_capacity(header.len());
    for (i, raw) in header.iter().enumerate() {
        let name = std::str::from_utf8(raw)
            .map_err(|_| FileError::HeaderNotUtf8)?
            .trim()
            .to_string();
        if name.is_empty() {
            return Err(FileError::UnnamedColumn(i + 1));
        }
        if names.contains(&name) {
            return Err(FileError::DuplicateColumn(name));
        }
        names.push(name);
    }
    if names.len() > MAX_COLUMNS {
        return Err(FileError::TooManyColumns(names.len()));
    }
    let mut rows = Vec::new();
    for (i, record) in records.enumerate() {
        // The header is row 1, so the first data row is row 2.
        let number = i as u64 + 2;
        let cells = match record {
            Ok(r) => cells(&r, names.len()),
            Err(e) => Err(format!(
                "cannot be read as CSV ({e}); check the quotes around its values"
            )),
        };
        rows.push(SourceRow { number, cells });
    }
    Ok(SourceTable {
        header: names,
        rows,
    })
}

/// The values of one record, checked against the header's width.
fn cells(record: &::csv::ByteRecord, columns: usize) -> Result<Vec<String>, String> {
    if record.len() != columns {
        return Err(format!(
            "has {} values but the header has {columns} columns: put double quotes around a value that contains a comma",
            record.len()
        ));
    }
    let mut out = Vec::with_capacity(columns);
    for (i, raw) in record.iter().enumerate() {
        let text = std::str::from_utf8(raw).map_err(|_| {
            format!(
                "value {} is not UTF-8 text: save the file as UTF-8 (in Excel: CSV UTF-8)",
                i + 1
            )
        })?;
        let chars = text.chars().count();
        if chars > MAX_CELL_CHARS {
            return Err(format!(
                "value {} is {chars} characters long; the limit is {MAX_CELL_CHARS} (a quote left open can swallow the rows after it)",
                i + 1
            ));
        }
        out.push(text.to_string());
    }
    Ok(out)
}

/// Writes one CSV line of `values`, quoted as RFC 4180 asks, with a CRLF.
pub fn csv_line(values: &[&str]) -> String {
    let mut line = values
        .iter()
        .map(|v| {
            if v.contains([',', '"', '\r', '\n']) {
                format!("\"{}\"", v.replace('"', "\"\""))
            } else {
                (*v).to_string()
            }
        })
        .collect::<Vec<_>>()
        .join(",");
    line.push_str("\r\n");
    line
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn quotes_bom_and_crlf_are_read() {
        let file = b"\xEF\xBB\xBFlname,fname,note\r\n\"O'Neil, Jr.\",\"Zo\xC3\xAB\",\"said \"\"hi\"\"\r\nthen left\"\r\nSmith,Ann,\r\n";
        let t = read_table(file).unwrap();
        assert_eq!(t.header, ["lname", "fname", "note"]);
        assert_eq!(
            t.rows[0].cells.as_deref().unwrap(),
            ["O'Neil, Jr.", "Zoë", "said \"hi\"\r\nthen left"]
        );
        assert_eq!(t.rows[1].number, 3);
        assert_eq!(t.rows[1].cells.as_deref().unwrap(), ["Smith", "Ann", ""]);
    }

    #[test]
    fn bad_rows_are_named_and_the_rest_read() {
        let mut file = b"a,b\n1,2\n1,2,3\n\xE9t\xE9,x\n".to_vec();
        file.extend(format!("{},y\n", "z".repeat(MAX_CELL_CHARS + 1)).as_bytes());
        file.extend(b"5,6\n");
        let t = read_table(&file).unwrap();
        let errs: Vec<_> = t.rows.iter().map(|r| r.cells.clone().err()).collect();
        assert!(errs[0].is_none());
        assert!(errs[1].as_deref().unwrap().contains("3 values"), "{errs:?}");
        assert!(errs[2].as_deref().unwrap().contains("UTF-8"), "{errs:?}");
        assert!(errs[3].as_deref().unwrap().contains("characters long"));
        assert!(errs[4].is_none());
        assert_eq!(t.rows[4].number, 6);
    }

    #[test]
    fn unusable_files_say_why() {
        assert_eq!(read_table(b""), Err(FileError::Empty));
        assert_eq!(read_table(b"\xEF\xBB\xBF"), Err(FileError::Empty));
        assert_eq!(read_table(b"a,\xE9\n"), Err(FileError::HeaderNotUtf8));
        assert_eq!(read_table(b"a,,b\n"), Err(FileError::UnnamedColumn(2)));
        assert_eq!(
            read_table(b"a,b,a\n"),
            Err(FileError::DuplicateColumn("a".into()))
        );
    }

    proptest! {
        #[test]
        fn what_is_written_reads_back(rows in proptest::collection::vec(
            proptest::collection::vec("[a-zA-Z0-9 ,\"\r\néß\n-]{0,12}", 3), 1..20),
            bom in any::<bool>()
        ) {
            let mut file = if bom { BOM.to_vec() } else { Vec::new() };
            file.extend(csv_line(&["x", "y", "z"]).as_bytes());
            for r in &rows {
                let cells: Vec<&str> = r.iter().map(String::as_str).collect();
                file.extend(csv_line(&cells).as_bytes());
            }
            let t = read_table(&file).unwrap();
            prop_assert_eq!(t.rows.len(), rows.len());
            for (got, want) in t.rows.iter().zip(&rows) {
                prop_assert_eq!(got.cells.as_ref().unwrap(), want);
            }
        }

        #[test]
        fn any_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
            let _ = read_table(&bytes);
        }
    }
}
