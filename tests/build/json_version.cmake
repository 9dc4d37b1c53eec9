# cmake -DF=file.json -P json_version.cmake: fails unless F is JSON (CMake's
# string(JSON) parses it); prints the "version" member of an object, if any.
file(READ "${F}" text)
string(JSON type TYPE "${text}")
if(type STREQUAL "OBJECT")
    string(JSON version ERROR_VARIABLE missing GET "${text}" version)
    if(NOT missing)
        message("${version}")
    endif()
endif()
