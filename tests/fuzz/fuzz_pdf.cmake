# fuzz_pdf reads PDFs through host/pdf (qpdf).
target_link_libraries(fuzz_pdf PRIVATE mh_pdf)
