# fuzz targets of the offline verifier link its core (firmware/core).
target_link_libraries(fuzz_fw_line PRIVATE mh_fw_core)
